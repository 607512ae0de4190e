// Each project's last run, read straight from the ledger's index
// (project_runs_dashboard).
#pragma once

#include "pg/config.hpp"
#include "pg/postgres.hpp"

namespace project_runs::pg {

// The last run of each project, by position: runs[n] (n = 1 .. count) is the
// run of the project in row n of the projects, with the columns of desc
// (id, status, created_at, started_at, finished_at), or nullptr when the
// project has no run.
struct LastRuns {
    HeapTuple* runs = nullptr;
    TupleDesc desc = nullptr;
};

// Reads the first visible entry of each project in the catalog's
// runs_created_index, project_runs_project_created_idx (project_id,
// created_at DESC, id DESC), and that run's row, under the active snapshot:
// what the dashboard's lateral "ORDER BY created_at DESC, id DESC LIMIT 1"
// returns, without reading the rest of the project's entries on the leaf
// page. The project ids are column 1 of the rows. Returns false, having read
// nothing the caller must keep, when the index is not the one the extension
// made or cannot answer alone (the snapshot is not an MVCC one, or a
// project's first entries are all invisible), and at once while
// project_runs.dashboard_index_read is off: the caller then runs the
// statement. May raise (through guard).
bool read_last_runs(const Catalog& cat, const SPITupleTable* projects, uint64 count,
                    LastRuns* out);

// Defines project_runs.dashboard_index_read; called from _PG_init.
void define_index_read_setting();

}  // namespace project_runs::pg
