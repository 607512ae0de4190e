# project_runs: PGXS build, install and installcheck.
#
# The version is written once, in project_runs.control; the module and the
# extension script name take it from there.

EXTENSION = project_runs
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = project_runs
OBJS = \
	src/core/error_codes.o \
	src/core/idempotency.o \
	src/core/json.o \
	src/core/pipeline.o \
	src/core/run_state.o \
	src/core/uuid7.o \
	src/pg/config.o \
	src/pg/functions.o \
	src/pg/generate.o \
	src/pg/guard.o \
	src/pg/last_runs.o \
	src/pg/project_runs.o \
	src/pg/result.o \
	src/pg/runs.o \
	src/pg/triggers.o

DATA = sql/$(EXTENSION)--$(EXTVERSION).sql

REGRESS = setup functions bad_input metrics boundary invariants generate dashboard app_tables
REGRESS_OPTS = --load-extension=$(EXTENSION)

ISOLATION = create_race generate_race registry_change purge_race finish_race app_table_change \
	catalog_reload dashboard_race
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation/results --load-extension=$(EXTENSION)

EXTRA_CLEAN = results regression.diffs regression.out test/isolation/results build

PG_CONFIG ?= pg_config

PG_CPPFLAGS = -I$(srcdir)/src -DPROJECT_RUNS_VERSION='"$(EXTVERSION)"'
PG_CXXFLAGS = -std=c++17 -fexceptions -Wall -Wextra -Wno-register -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lstdc++

# Debian's PostgreSQL is built with LLVM, so PGXS would also emit JIT bitcode
# for every object. The bitcode rule does not get the C++ flags above and JIT
# inlining of these functions buys nothing, so bitcode is turned off.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild every object when a header changes.
$(OBJS): $(wildcard src/core/*.hpp src/pg/*.hpp)

.PHONY: format
format:
	clang-format -i src/core/*.hpp src/core/*.cpp src/pg/*.hpp src/pg/*.cpp test/unit/*.cpp
