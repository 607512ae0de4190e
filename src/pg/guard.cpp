// The boundary between C++ and Postgres: raising an ERROR for an exception.
#include "pg/guard.hpp"

namespace project_runs::pg {

// The message of the Postgres ERROR behind the exception.
const char* Error::what() const noexcept {
    return data_->message != nullptr ? data_->message : "postgres error";
}

// Re-raises a caught Postgres ERROR with its SQLSTATE, detail and hint,
// raises a rule violation with its own SQLSTATE, or an internal error for
// any other C++ exception.
void raise_error(const PendingError& pending) {
    if (pending.pg_error != nullptr) ReThrowError(pending.pg_error);
    if (pending.sqlstate != 0)
        ereport(ERROR, (errcode(pending.sqlstate), errmsg_internal("%s", pending.message),
                        pending.detail[0] ? errdetail_internal("%s", pending.detail) : 0,
                        pending.hint[0] ? errhint("%s", pending.hint) : 0));
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("project_runs internal error: %s", pending.message),
                    errhint("This is a bug in project_runs; the statement was rolled back.")));
    pg_unreachable();
}

}  // namespace project_runs::pg
