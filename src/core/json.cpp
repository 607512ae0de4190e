// A small JSON parser, compact serializer and the metrics merge.
//
// Strings and object keys keep their quoted source text (escapes untouched)
// and numbers their source digits. Keys and step names therefore compare by
// source text; that is exact for text produced by Postgres's jsonb output,
// which writes every string in one canonical form.
#include "core/json.hpp"

#include <unordered_map>

#include "core/hex.hpp"

namespace project_runs::json {

namespace {

void (*g_poll)() = nullptr;
unsigned g_poll_countdown = 0;

// Calls the poll function once every 4096 calls.
void maybe_poll() {
    if (g_poll != nullptr && (++g_poll_countdown & 4095u) == 0) g_poll();
}

// Recursive-descent parser over one document.
class Parser {
public:
    // Prepares to parse text, allowing at most max_depth nested containers.
    Parser(std::string_view text, int max_depth, RepeatedKeys repeated)
        : text_(text), max_depth_(max_depth), repeated_(repeated) {}

    // Parses the whole text as exactly one value surrounded by whitespace.
    Value parse_document() {
        skip_whitespace();
        Value value = parse_value(0);
        skip_whitespace();
        if (position_ != text_.size()) fail("unexpected text after the value");
        return value;
    }

private:
    // Throws a ParseError that names the current byte offset.
    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError("invalid JSON at offset " + std::to_string(position_) + ": " + what);
    }

    // True when the whole input has been consumed.
    bool at_end() const { return position_ >= text_.size(); }

    // The current character; only valid when not at_end().
    char peek() const { return text_[position_]; }

    // Skips the four JSON whitespace characters.
    void skip_whitespace() {
        while (!at_end()) {
            const char character = peek();
            if (character != ' ' && character != '\t' && character != '\n' && character != '\r') {
                return;
            }
            ++position_;
        }
    }

    // Consumes the expected character or fails.
    void expect(char expected) {
        if (at_end() || peek() != expected) fail(std::string("expected '") + expected + "'");
        ++position_;
    }

    // Parses any value starting at the current (non-whitespace) position.
    Value parse_value(int depth) {
        maybe_poll();
        if (at_end()) fail("unexpected end of input");
        switch (peek()) {
            case '{':
                return parse_object(depth + 1);
            case '[':
                return parse_array(depth + 1);
            case '"': {
                Value value;
                value.kind = Kind::string;
                value.text = parse_string();
                return value;
            }
            case 't':
                return parse_literal("true", Kind::boolean, true);
            case 'f':
                return parse_literal("false", Kind::boolean, false);
            case 'n':
                return parse_literal("null", Kind::null, false);
            default:
                if (peek() == '-' || is_digit(peek())) return parse_number();
                fail("unexpected character");
        }
    }

    // Fails when a container at this depth is nested too deeply.
    void check_depth(int depth) const {
        if (depth > max_depth_) fail("nesting deeper than " + std::to_string(max_depth_));
    }

    // Parses an object; a repeated key keeps its first position and last
    // value, or (RepeatedKeys::keep) every member stays, in order.
    Value parse_object(int depth) {
        check_depth(depth);
        expect('{');
        Value object;
        object.kind = Kind::object;
        skip_whitespace();
        if (!at_end() && peek() == '}') {
            ++position_;
            return object;
        }
        std::unordered_map<std::string, std::size_t> index_by_key;
        while (true) {
            skip_whitespace();
            if (at_end() || peek() != '"') fail("expected an object key");
            std::string key = parse_string();
            skip_whitespace();
            expect(':');
            skip_whitespace();
            Value member_value = parse_value(depth);
            if (repeated_ == RepeatedKeys::keep) {
                object.members.emplace_back(std::move(key), std::move(member_value));
            } else {
                const auto [found, inserted] = index_by_key.emplace(key, object.members.size());
                if (inserted) {
                    object.members.emplace_back(std::move(key), std::move(member_value));
                } else {
                    object.members[found->second].second = std::move(member_value);
                }
            }
            skip_whitespace();
            if (at_end()) fail("unterminated object");
            if (peek() == '}') {
                ++position_;
                return object;
            }
            expect(',');
        }
    }

    // Parses an array.
    Value parse_array(int depth) {
        check_depth(depth);
        expect('[');
        Value array;
        array.kind = Kind::array;
        skip_whitespace();
        if (!at_end() && peek() == ']') {
            ++position_;
            return array;
        }
        while (true) {
            skip_whitespace();
            array.items.push_back(parse_value(depth));
            skip_whitespace();
            if (at_end()) fail("unterminated array");
            if (peek() == ']') {
                ++position_;
                return array;
            }
            expect(',');
        }
    }

    // Validates a string and returns its source text, quotes included.
    std::string parse_string() {
        const std::size_t start = position_;
        expect('"');
        while (true) {
            if (at_end()) fail("unterminated string");
            const auto character = static_cast<unsigned char>(peek());
            if (character == '"') {
                ++position_;
                return std::string(text_.substr(start, position_ - start));
            }
            if (character < 0x20) fail("control character in string");
            ++position_;
            if (character == '\\') parse_escape();
        }
    }

    // Validates the escape after a backslash: one of "\/bfnrt or uXXXX.
    void parse_escape() {
        if (at_end()) fail("unterminated string");
        const char escaped = peek();
        ++position_;
        switch (escaped) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                return;
            case 'u':
                for (int digit = 0; digit < 4; ++digit) {
                    if (at_end() || !is_hex_digit(peek())) fail("invalid \\u escape");
                    ++position_;
                }
                return;
            default:
                --position_;
                fail("invalid escape");
        }
    }

    // Validates -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? and returns its text.
    Value parse_number() {
        const std::size_t start = position_;
        if (peek() == '-') ++position_;
        if (at_end() || !is_digit(peek())) fail("expected a digit");
        if (peek() == '0') {
            ++position_;
        } else {
            skip_digits();
        }
        if (!at_end() && peek() == '.') {
            ++position_;
            if (at_end() || !is_digit(peek())) fail("expected a digit after '.'");
            skip_digits();
        }
        if (!at_end() && (peek() == 'e' || peek() == 'E')) {
            ++position_;
            if (!at_end() && (peek() == '+' || peek() == '-')) ++position_;
            if (at_end() || !is_digit(peek())) fail("expected a digit in the exponent");
            skip_digits();
        }
        Value number;
        number.kind = Kind::number;
        number.text = std::string(text_.substr(start, position_ - start));
        return number;
    }

    // Consumes a run of decimal digits.
    void skip_digits() {
        while (!at_end() && is_digit(peek())) ++position_;
    }

    // Parses the literal word true, false or null.
    Value parse_literal(std::string_view word, Kind kind, bool boolean) {
        if (text_.substr(position_, word.size()) != word) fail("invalid literal");
        position_ += word.size();
        Value value;
        value.kind = kind;
        value.boolean = boolean;
        return value;
    }

    // True for '0' to '9'.
    static bool is_digit(char character) { return character >= '0' && character <= '9'; }

    // True for hex digits of either case.
    static bool is_hex_digit(char character) { return hex_digit_value(character) >= 0; }

    std::string_view text_;
    int max_depth_;
    RepeatedKeys repeated_;
    std::size_t position_ = 0;
};

// Appends the compact text of a value to out.
void serialize_into(const Value& value, std::string& out) {
    maybe_poll();
    switch (value.kind) {
        case Kind::null:
            out += "null";
            return;
        case Kind::boolean:
            out += value.boolean ? "true" : "false";
            return;
        case Kind::number:
        case Kind::string:
            out += value.text;
            return;
        case Kind::array:
            out.push_back('[');
            for (std::size_t index = 0; index < value.items.size(); ++index) {
                if (index > 0) out.push_back(',');
                serialize_into(value.items[index], out);
            }
            out.push_back(']');
            return;
        case Kind::object:
            out.push_back('{');
            for (std::size_t index = 0; index < value.members.size(); ++index) {
                if (index > 0) out.push_back(',');
                out += value.members[index].first;
                out.push_back(':');
                serialize_into(value.members[index].second, out);
            }
            out.push_back('}');
            return;
    }
}

// The quoted source text of an element's string "name", or nullptr if it has none.
const std::string* element_name(const Value& element) {
    if (element.kind != Kind::object) return nullptr;
    const Value* name = element.find("\"name\"");
    if (name == nullptr || name->kind != Kind::string) return nullptr;
    return &name->text;
}

// True when every element is an object with a string "name" (vacuously true
// for an empty array, so [] merges by name: [] with a named patch gives the
// patch, and a named base with a [] patch stays unchanged).
bool all_elements_named(const Value& array) {
    for (const Value& element : array.items) {
        if (element_name(element) == nullptr) return false;
    }
    return true;
}

void merge_into(Value& base, const Value& patch);

// The index of base (see MergeIndex), created empty where it has none.
std::unordered_map<std::string, std::size_t>& index_of(Value& base) {
    MergeIndex& index = base.merge_index;
    if (!index.positions) {
        index.positions = std::make_unique<std::unordered_map<std::string, std::size_t>>();
        index.covered = 0;
    }
    return *index.positions;
}

// The positions of an object's keys, brought up to date with the members
// appended since the last merge into it (the last of duplicates wins, like find).
std::unordered_map<std::string, std::size_t>& key_positions(Value& object) {
    auto& positions = index_of(object);
    std::size_t& covered = object.merge_index.covered;
    for (; covered < object.members.size(); ++covered)
        positions[object.members[covered].first] = covered;
    return positions;
}

// Brings the index of an array's names up to date (the first of a name
// wins); false when an element has no string name: the array then does not
// merge by name. An unnamed element stops the index where it is, so asking
// again costs nothing.
bool index_names(Value& array) {
    auto& positions = index_of(array);
    std::size_t& covered = array.merge_index.covered;
    for (; covered < array.items.size(); ++covered) {
        const std::string* name = element_name(array.items[covered]);
        if (name == nullptr) return false;
        positions.emplace(*name, covered);
    }
    return true;
}

// Merges two objects key by key: base order kept, new patch keys appended.
void merge_objects(Value& base, const Value& patch) {
    for (const auto& [key, patch_value] : patch.members) {
        auto& positions = key_positions(base);
        const auto found = positions.find(key);
        if (found != positions.end()) {
            merge_into(base.members[found->second].second, patch_value);
        } else {
            base.members.emplace_back(key, patch_value);
        }
    }
}

// Merges two arrays of named objects by name (both checked, base indexed):
// base order kept, a patch element merges into the first base element of
// its name, new names are appended in patch order (a repeated patch name
// merges onto the earlier one).
void merge_named_arrays(Value& base, const Value& patch) {
    for (const Value& patch_element : patch.items) {
        index_names(base);
        auto& positions = *base.merge_index.positions;
        const auto found = positions.find(*element_name(patch_element));
        if (found != positions.end()) {
            merge_into(base.items[found->second], patch_element);
        } else {
            base.items.push_back(patch_element);
        }
    }
}

// Merges patch into base in place: objects by key, named-object arrays by
// name, anything else: base becomes the patch.
void merge_into(Value& base, const Value& patch) {
    maybe_poll();
    if (base.kind == Kind::object && patch.kind == Kind::object) {
        merge_objects(base, patch);
    } else if (base.kind == Kind::array && patch.kind == Kind::array &&
               all_elements_named(patch) && index_names(base)) {
        merge_named_arrays(base, patch);
    } else {
        base = patch;
    }
}

// Finds the last member with this key (the one that wins), or nullptr.
template <typename ObjectValue>
auto* find_member(ObjectValue& object, std::string_view quoted_key) {
    decltype(&object.members.front().second) result = nullptr;
    if (object.kind != Kind::object) return result;
    for (auto& member : object.members) {
        if (member.first == quoted_key) result = &member.second;
    }
    return result;
}

}  // namespace

// Looks up an object member by its quoted key text; nullptr if absent or not an object.
const Value* Value::find(std::string_view quoted_key) const {
    return find_member(*this, quoted_key);
}

// Looks up an object member by its quoted key text; nullptr if absent or not an object.
Value* Value::find(std::string_view quoted_key) { return find_member(*this, quoted_key); }

// Parses one JSON document.
Value parse(std::string_view text, int max_depth, RepeatedKeys repeated) {
    return Parser(text, max_depth, repeated).parse_document();
}

// Serializes without any whitespace.
std::string quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '"';
    for (char ch : text) {
        unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    static const char hex[] = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[c >> 4];
                    out += hex[c & 0xf];
                } else {
                    out += ch;
                }
        }
    }
    out += '"';
    return out;
}

Value string_value(std::string_view text) {
    Value v;
    v.kind = Kind::string;
    v.text = quote(text);
    return v;
}

namespace {

// The value of four hex digits, or -1.
int hex4(std::string_view digits) {
    int value = 0;
    for (char c : digits) {
        int d = hex_digit_value(c);
        if (d < 0) return -1;
        value = value * 16 + d;
    }
    return value;
}

void append_utf8(std::string& out, unsigned code_point) {
    if (code_point < 0x80) {
        out.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
        out.push_back(static_cast<char>(0xc0 | code_point >> 6));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
    } else if (code_point < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | code_point >> 12));
        out.push_back(static_cast<char>(0x80 | (code_point >> 6 & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | code_point >> 18));
        out.push_back(static_cast<char>(0x80 | (code_point >> 12 & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code_point >> 6 & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3f)));
    }
}

}  // namespace

std::optional<std::string> unquote(std::string_view quoted) {
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return std::nullopt;
    std::string_view body = quoted.substr(1, quoted.size() - 2);
    if (body.find('\\') == std::string_view::npos) return std::string(body);
    std::string out;
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            out.push_back(body[i]);
            continue;
        }
        if (++i >= body.size()) return std::nullopt;
        switch (body[i]) {
            case '"': out.push_back('"'); break;
            case '\\': out.push_back('\\'); break;
            case '/': out.push_back('/'); break;
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                int unit = body.size() >= i + 5 ? hex4(body.substr(i + 1, 4)) : -1;
                if (unit < 0) return std::nullopt;
                i += 4;
                unsigned code_point = static_cast<unsigned>(unit);
                if (unit >= 0xdc00 && unit <= 0xdfff) return std::nullopt;  // a lone low half
                if (unit >= 0xd800 && unit <= 0xdbff) {
                    // a high half: a \u escape of the low half must follow
                    if (body.size() < i + 7 || body[i + 1] != '\\' || body[i + 2] != 'u')
                        return std::nullopt;
                    int low = hex4(body.substr(i + 3, 4));
                    if (low < 0xdc00 || low > 0xdfff) return std::nullopt;
                    i += 6;
                    code_point = 0x10000 + ((static_cast<unsigned>(unit) - 0xd800) << 10) +
                                 (static_cast<unsigned>(low) - 0xdc00);
                }
                if (code_point == 0) return std::nullopt;
                append_utf8(out, code_point);
                break;
            }
            default:
                return std::nullopt;
        }
    }
    return out;
}

Value number_value(long long number) {
    Value v;
    v.kind = Kind::number;
    v.text = std::to_string(number);
    return v;
}

std::string serialize(const Value& value) {
    std::string out;
    serialize_into(value, out);
    return out;
}

// Merges objects by key, named-object arrays by name, and otherwise takes the patch.
Value merge_metrics(const Value& base, const Value& patch) {
    Value merged = base;
    merge_into(merged, patch);
    return merged;
}

void set_poll(void (*poll)()) { g_poll = poll; }

}  // namespace project_runs::json
