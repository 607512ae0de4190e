// The last run of each of a list of projects, read straight from the index
// project_runs_project_created_idx: one descent per project and only the
// index entries up to the first visible run, where an executor index scan
// would check every entry of the project on the leaf page.
#pragma once

#include "pg/postgres.hpp"

namespace project_runs::pg {

// Rows of the dashboard's last runs: n (the project's 1-based position),
// id, status, created_at, started_at, finished_at.
struct LastRuns {
    TupleDesc desc = nullptr;
    HeapTuple* by_project = nullptr;  // [1..count]; nullptr: the project has no run
    // Positions of the projects the index read left to the executor (their
    // first entries in the index hold no run the snapshot sees).
    uint64* unread = nullptr;
    uint64 unread_count = 0;
};

// project_runs.dashboard_index_read: read last runs from the index (true)
// or through the executor (false).
extern bool dashboard_index_read;
void define_last_run_settings();

// Dashboard calls of this session whose last runs came from the index, and
// projects the index read left to the executor (project_runs_debug_state).
extern uint64 dashboard_index_reads;
extern uint64 dashboard_unread_projects;

// Reads the last run of each project (the first column of projects, uuid)
// from the index, as the statement dashboard_last_runs would give it: the
// newest by created_at, then id, that the active snapshot sees. A project
// whose first max_entries entries hold no such run (runs being inserted,
// dead versions) is listed in out->unread for the executor. Returns false,
// having read nothing, where the index read does not apply: the setting is
// off, the index is missing, not valid or not as the extension made it, the
// snapshot is not MVCC, or the transaction is serializable (whose predicate
// locks the executor takes). Needs SPI connected.
bool read_last_runs(const SPITupleTable* projects, uint64 count, LastRuns* out);

// The ids of the projects at the given positions, as a uuid[].
Datum project_ids_at(const SPITupleTable* projects, const uint64* positions, uint64 count);

// Puts the rows of the statement dashboard_last_runs into runs: all of them
// (runs->desc null: read through the executor alone; n is the position),
// or those of the unread projects (n is the index into runs->unread + 1).
void put_executor_rows(LastRuns* runs, const SPITupleTable* rows, uint64 row_count, uint64 count);

}  // namespace project_runs::pg
