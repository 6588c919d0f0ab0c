# ivlite version
VERSION = 0.1

# paths
PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man
POLICYDIR = $(PREFIX)/share/ivlite

# toolchain and flags
CC = cc
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -DVERSION=\"$(VERSION)\"
WARN = -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
CFLAGS = -std=c99 $(WARN) -Os
LDFLAGS =
LIBS = -lmbedtls -lmbedx509 -lmbedcrypto
# ivlite-static must not grow past this many bytes (480 KiB; 400 KiB
# until keyless bundles and notation: README, Static build)
STATIC_BUDGET = 491520
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
