// The boundary between C++ and Postgres.
//
// Every SQL-callable and trigger function enters C++ through PR_FUNCTION,
// whose wrapper catches every C++ exception and raises the Postgres ERROR
// only after the catch block is left. Calls into Postgres that may raise
// go through pg::guard, which turns the ERROR into a pg::Error exception that
// keeps the whole ErrorData (SQLSTATE, detail, hint), so that no longjmp
// ever skips a C++ destructor.
#pragma once

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "pg/postgres.hpp"

namespace project_runs::pg {

// A Postgres ERROR caught by guard, carried as a C++ exception.
class Error : public std::exception {
public:
    explicit Error(ErrorData* data) : data_(data) {}
    const char* what() const noexcept override;
    ErrorData* data() const { return data_; }
    int sqlerrcode() const { return data_->sqlerrcode; }

private:
    ErrorData* data_;  // palloc'd in the context current when guard was entered
};

// A violation of the ledger's rules, raised as a Postgres ERROR with its own
// SQLSTATE once the C++ frames are left.
class Violation : public std::exception {
public:
    Violation(int sqlstate, std::string message, std::string detail = {}, std::string hint = {})
        : sqlstate_(sqlstate),
          message_(std::move(message)),
          detail_(std::move(detail)),
          hint_(std::move(hint)) {}
    const char* what() const noexcept override { return message_.c_str(); }
    int sqlstate() const { return sqlstate_; }
    const std::string& detail() const { return detail_; }
    const std::string& hint() const { return hint_; }

private:
    int sqlstate_;
    std::string message_, detail_, hint_;
};

// What enter() keeps of an exception while it leaves the catch block:
// plain buffers only, so that raising the ERROR skips no destructor.
struct PendingError {
    ErrorData* pg_error = nullptr;
    int sqlstate = 0;  // 0: internal error
    char message[1024] = "";
    char detail[1024] = "";
    char hint[512] = "";
};

// Raises the ERROR behind a C++ exception. Called only outside catch blocks.
// A text cut at its buffer's size ends at a whole character, with "...".
[[noreturn]] void raise_error(PendingError& pending);

// Runs f, which may call Postgres functions that raise. A Postgres ERROR
// becomes a pg::Error; a C++ exception thrown by f passes through unchanged.
// Either way the caller's memory context is current again.
// Nothing in f may hold C++ objects across the call that raises: only the
// frames of this function and its caller are unwound by C++ rules.
template <typename F>
auto guard(F&& f) -> decltype(f()) {
    using Result = decltype(f());
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile pg_error = nullptr;
    std::exception_ptr cpp_error;
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};
    PG_TRY();
    {
        try {
            if constexpr (std::is_void_v<Result>) {
                f();
            } else {
                result.emplace(f());
            }
        } catch (...) {
            MemoryContextSwitchTo(caller_context);
            cpp_error = std::current_exception();
        }
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller_context);
        pg_error = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    if (pg_error != nullptr) throw Error(pg_error);
    if (cpp_error) std::rethrow_exception(cpp_error);
    if constexpr (!std::is_void_v<Result>) return std::move(*result);
}

// Runs f in an internal subtransaction. A Postgres ERROR inside rolls it
// back and is returned (palloc'd in the caller's memory context: free it
// with FreeErrorData); a C++ exception rolls it back and is rethrown;
// otherwise it is released and nullptr returned. The caller's memory
// context and resource owner are current again either way, and what f
// allocated there survives. A subtransaction that writes nothing takes no
// XID, so thousands of them in one transaction do not overflow the subxid
// cache. Nothing in f may hold C++ objects across a call that raises.
template <typename F>
ErrorData* in_subtransaction(F&& f) {
    MemoryContext context = CurrentMemoryContext;
    ResourceOwner owner = CurrentResourceOwner;
    ErrorData* volatile pg_error = nullptr;
    std::exception_ptr cpp_error;
    guard([] { BeginInternalSubTransaction(nullptr); });
    MemoryContextSwitchTo(context);
    PG_TRY();
    {
        try {
            f();
        } catch (...) {
            cpp_error = std::current_exception();
        }
        if (cpp_error)
            RollbackAndReleaseCurrentSubTransaction();
        else
            ReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(context);
        CurrentResourceOwner = owner;
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(context);
        pg_error = CopyErrorData();
        FlushErrorState();
        RollbackAndReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(context);
        CurrentResourceOwner = owner;
    }
    PG_END_TRY();
    if (cpp_error) std::rethrow_exception(cpp_error);
    return pg_error;
}

// Calls impl(fcinfo) and turns any exception into a Postgres ERROR once
// the catch blocks are left.
template <Datum (*Impl)(FunctionCallInfo)>
Datum enter(FunctionCallInfo fcinfo) {
    PendingError pending;
    try {
        return Impl(fcinfo);
    } catch (const Error& e) {
        pending.pg_error = e.data();
    } catch (const Violation& e) {
        pending.sqlstate = e.sqlstate();
        snprintf(pending.message, sizeof pending.message, "%s", e.what());
        snprintf(pending.detail, sizeof pending.detail, "%s", e.detail().c_str());
        snprintf(pending.hint, sizeof pending.hint, "%s", e.hint().c_str());
    } catch (const std::bad_alloc&) {
        snprintf(pending.message, sizeof pending.message, "out of memory in C++ code");
    } catch (const std::exception& e) {
        snprintf(pending.message, sizeof pending.message, "%s", e.what());
    } catch (...) {
        snprintf(pending.message, sizeof pending.message, "unknown C++ exception");
    }
    raise_error(pending);
}

}  // namespace project_runs::pg

// Declares the SQL-callable function `name` whose body is name##_impl:
//   PR_FUNCTION(project_runs_latest) { ... return datum; }
#define PR_FUNCTION(name)                                                  \
    static Datum name##_impl(FunctionCallInfo fcinfo);                     \
    extern "C" {                                                           \
    PG_FUNCTION_INFO_V1(name);                                             \
    Datum name(PG_FUNCTION_ARGS) {                                         \
        return project_runs::pg::enter<name##_impl>(fcinfo);               \
    }                                                                      \
    }                                                                      \
    static Datum name##_impl(FunctionCallInfo fcinfo)
