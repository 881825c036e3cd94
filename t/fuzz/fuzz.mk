# t/fuzz/fuzz.mk: builds the libFuzzer harnesses with clang, apart from
# the build with CC. GNU make; `make fuzz` (Makefile.am) runs it in the
# build tree and passes what configure found:
#
#   srcdir       the source tree
#   CLANG        a clang that links -fsanitize=fuzzer (configure checks)
#   AR           the archiver
#   DEFS         configure's -D flags (_GNU_SOURCE among them)
#   WARN_CFLAGS  the warnings of the normal build (-Werror with
#                --enable-werror): the library must build warning-free
#                with clang too
#   LIB_CFLAGS   the libraries' cflags; LIB_LIBS their libs
#   LIB_SOURCES  the sources of libinventory.a (its .h files are skipped)
#   HARNESSES    t/fuzz/fuzz_NAME ..., one t/fuzz/fuzz_NAME.c each
#   V            1 to show the commands (as automake's silent rules)
#
# Every object is built with ASan, UBSan (any report is fatal) and
# libFuzzer's coverage instrumentation, into t/fuzz/obj/ of the build
# tree; clang's -MMD files track the headers.

SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 $(SAN) -fsanitize=fuzzer-no-link $(WARN_CFLAGS) \
	$(DEFS) $(LIB_CFLAGS) -I$(srcdir)/src -MMD -MP

# Quiet unless V=1, like the rest of the build.
ifeq ($(V),1)
Q :=
say := @:
else
Q := @
say := @printf '  %-8s %s\n'
endif

OBJDIR := t/fuzz/obj
LIB := t/fuzz/libinventory-fuzz.a
LIB_OBJS := $(patsubst %.c,$(OBJDIR)/%.o,$(filter %.c,$(LIB_SOURCES)))
HARNESS_OBJS := $(HARNESSES:%=$(OBJDIR)/%.o)

# Generated sources (src/migrations.c) are in the build tree, the rest in
# the source tree.
vpath %.c . $(srcdir)

all: $(HARNESSES)
.PHONY: all

$(OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(say) CLANG $@
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) cr $@ $^

# The JWT harness puts itself between auth.c and libjwt: jwt_decode
# writes past a heap buffer on an empty segment, so its wrapper fails the
# run when anything but a well-formed token reaches libjwt.
t/fuzz/fuzz_jwt: EXTRA_LDFLAGS = -Wl,--wrap=jwt_decode

# The router harness runs the dispatcher with a stub for every handler
# (t/fuzz/stubs.h): one per "void h_NAME(" line of src/handlers.h.
# (Braces: the parentheses of the sed script would end a $(shell ...).)
HANDLERS := ${shell sed -n 's/^void \(h_[a-z0-9_]*\)(.*/\1/p' \
	$(srcdir)/src/handlers.h}
STUBS := t/fuzz/handler_stubs.c

$(STUBS): $(srcdir)/src/handlers.h $(srcdir)/t/fuzz/fuzz.mk
	$(say) GEN $@
	$(Q){ echo '/* Generated from src/handlers.h by t/fuzz/fuzz.mk: do not edit. */'; \
	  echo '#include "stubs.h"'; \
	  for h in $(HANDLERS); do echo "FUZZ_STUB($$h)"; done; \
	  echo 'const route_handler fuzz_stubs[] = {'; \
	  for h in $(HANDLERS); do echo "	__wrap_$$h,"; done; \
	  echo '	NULL'; echo '};'; } >$@.tmp && mv $@.tmp $@

$(OBJDIR)/$(STUBS:.c=.o): FUZZ_CFLAGS += -I$(srcdir)/t/fuzz
t/fuzz/fuzz_router: $(OBJDIR)/$(STUBS:.c=.o)
# db_exec as well: the dispatcher reads the caller's row on admin routes
# and writes, and the harness has no server (fuzz_router.c).
t/fuzz/fuzz_router: EXTRA_LDFLAGS = $(HANDLERS:%=-Wl,--wrap=%) \
	-Wl,--wrap=db_exec

$(HARNESSES): t/fuzz/%: $(OBJDIR)/t/fuzz/%.o $(LIB)
	$(say) CLANGLD $@
	$(Q)$(CLANG) $(SAN) -fsanitize=fuzzer $(EXTRA_LDFLAGS) -o $@ $^ $(LIB_LIBS)

-include $(LIB_OBJS:.o=.d) $(HARNESS_OBJS:.o=.d) $(OBJDIR)/$(STUBS:.c=.d)
