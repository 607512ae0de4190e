// Fault injection for the boundary tests: a superuser sets
// project_runs.fault_injection and the next function or trigger call throws
// a C++ exception or raises a Postgres ERROR while C++ objects are alive.
#pragma once

namespace project_runs::pg {

enum class FaultSite { function, trigger, owner_scope };

// Throws or raises when the setting names this site; otherwise nothing.
void maybe_inject_fault(FaultSite site);

// How many objects of the fault frames are alive now (0 once they unwound).
int live_fault_sentinels();

// Defines the project_runs.fault_injection setting; called from _PG_init.
void define_fault_setting();

}  // namespace project_runs::pg
