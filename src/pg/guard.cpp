// The boundary between C++ and Postgres: raising an ERROR for an exception.
#include "pg/guard.hpp"

#include <cstring>

extern "C" {
#include "mb/pg_wchar.h"
}

namespace project_runs::pg {

// The message of the Postgres ERROR behind the exception.
const char* Error::what() const noexcept {
    return data_->message != nullptr ? data_->message : "postgres error";
}

namespace {

// A text that filled its buffer of `size` bytes (snprintf cut it, maybe
// inside a character) is cut back to whole characters of the database's
// encoding and ends with "...", so the message stays valid text.
template <std::size_t size>
void end_cut_text(char (&text)[size]) {
    std::size_t length = strlen(text);
    if (length < size - 1) return;
    int keep = pg_mbcliplen(text, static_cast<int>(length), static_cast<int>(size) - 4);
    memcpy(text + keep, "...", 4);
}

}  // namespace

// Re-raises a caught Postgres ERROR with its SQLSTATE, detail and hint,
// raises a rule violation with its own SQLSTATE, or an internal error for
// any other C++ exception.
void raise_error(PendingError& pending) {
    if (pending.pg_error != nullptr) ReThrowError(pending.pg_error);
    end_cut_text(pending.message);
    end_cut_text(pending.detail);
    end_cut_text(pending.hint);
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
