// A small JSON document model for the metrics merge. Pure C++: no Postgres
// header. Strings and numbers keep their source text, so nothing is lost in
// a round trip through Postgres's jsonb output.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace project_runs::json {

enum class Kind { null, boolean, number, string, array, object };

// Where the metrics merge finds a key of an object, or a name in an array of
// named objects: built at the first merge into a value and extended as
// merges append, so that many patches merging into one value cost what they
// add, not the value's size each time. A copy starts without one.
class MergeIndex {
public:
    MergeIndex() = default;
    MergeIndex(const MergeIndex&) {}
    MergeIndex& operator=(const MergeIndex&) {
        positions.reset();
        covered = 0;
        return *this;
    }
    MergeIndex(MergeIndex&&) noexcept = default;
    MergeIndex& operator=(MergeIndex&&) noexcept = default;
    ~MergeIndex() = default;

    std::unique_ptr<std::unordered_map<std::string, std::size_t>> positions;
    std::size_t covered = 0;  // the members or items indexed so far
};

struct Value {
    Kind kind = Kind::null;
    bool boolean = false;
    std::string text;  // number: its digits; string: the quoted, escaped source
    std::vector<Value> items;                          // array
    std::vector<std::pair<std::string, Value>> members;  // object (key: quoted source)
    MergeIndex merge_index;                            // see MergeIndex

    const Value* find(std::string_view quoted_key) const;
    Value* find(std::string_view quoted_key);
};

// A function that parse, serialize and merge_metrics call every few thousand
// values (the extension's checks for a cancel); it may throw, and the work
// stops there. Null: none.
void set_poll(void (*poll)());

class ParseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What parse does with a key an object repeats: merge keeps the member at
// the key's first position with its last value (the metrics merge reads
// objects so); keep lists every member in the order of the text, as jsonb
// reads them before the last one wins.
enum class RepeatedKeys { merge, keep };

// Parses one JSON document; throws ParseError on malformed input or
// nesting deeper than max_depth.
constexpr int max_depth = 200;
Value parse(std::string_view text, int max_depth = json::max_depth,
            RepeatedKeys repeated = RepeatedKeys::merge);

// The JSON text of a string: quoted, with quotes, backslashes and control
// characters escaped.
std::string quote(std::string_view text);

// A string value holding text.
Value string_value(std::string_view text);

// The text of a string's quoted source (as parse keeps it), its escapes
// decoded to UTF-8; nullopt for what PostgreSQL's jsonb refuses: \u0000 and
// a \u escape of half a surrogate pair.
std::optional<std::string> unquote(std::string_view quoted);

// A number value from an integer.
Value number_value(long long number);

// Compact JSON text of a value.
std::string serialize(const Value& value);

// The metrics merge of the contract: objects merge key by key, recursively;
// two arrays whose elements are all objects with a string "name" merge
// element by element by name (first-appearance order kept, new names
// appended); anything else: the patch replaces the base.
Value merge_metrics(const Value& base, const Value& patch);

}  // namespace project_runs::json
