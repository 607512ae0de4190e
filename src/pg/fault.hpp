// Fault injection for the boundary tests: while a superuser has
// project_runs.fault_injection set, every function or trigger call that
// reaches its site throws a C++ exception or raises a Postgres ERROR while
// C++ objects are alive.
#pragma once

namespace project_runs::pg {

// output: where project_runs_generate stores a run's output; index_read:
// while project_runs_dashboard holds a leaf page of the ledger's index.
enum class FaultSite { function, trigger, owner_scope, output, index_read };

// Throws or raises when the setting names this site; otherwise nothing.
void maybe_inject_fault(FaultSite site);

// True when the setting names this site.
bool fault_is_set(FaultSite site);

// How many objects of the fault frames are alive now (0 once they unwound).
int live_fault_sentinels();

// Defines the project_runs.fault_injection setting; called from _PG_init.
void define_fault_setting();

}  // namespace project_runs::pg
