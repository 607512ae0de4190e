// Seeded random tests of the JSON code the backend runs on user input: the
// parser, the serializer, the metrics merge, unquote, and the UUID input
// parser. Each input either gives a result or a ParseError / nullopt; nothing
// else may escape, and what parses must round-trip. The seeds are fixed, so
// a failure reproduces.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/json.hpp"
#include "core/uuid7.hpp"

namespace project_runs {
namespace {

using json::Kind;
using json::Value;

// A random JSON document, nested at most `depth` levels.
class Generator {
public:
    explicit Generator(unsigned seed) : rng_(seed) {}

    std::string document(int depth) { return value(depth); }

    // A string's content: ASCII, escapes, control characters, UTF-8.
    std::string text() {
        static const char* const pieces[] = {"a", "name", "steps", " ", "\"", "\\", "/", "\b", "\n",
                                             "\t", "\x01", "\x1f", "caf\xc3\xa9", "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80", "{", "]", ":", ","};
        std::string out;
        int n = pick(6);
        for (int i = 0; i < n; ++i) out += pieces[pick(sizeof pieces / sizeof *pieces)];
        return out;
    }

    int pick(std::size_t n) { return static_cast<int>(rng_() % n); }
    std::mt19937& rng() { return rng_; }

private:
    std::string value(int depth) {
        switch (depth > 0 ? pick(8) : pick(5)) {
            case 0: return "null";
            case 1: return pick(2) ? "true" : "false";
            case 2: {
                static const char* const numbers[] = {"0", "-1", "42", "3.25", "-0.5e10", "1E+2",
                                                      "123456789012345678901234567890"};
                return numbers[pick(sizeof numbers / sizeof *numbers)];
            }
            case 3:
            case 4: return json::quote(text());
            case 5: {  // an array of named objects, as metrics steps are
                std::string out = "[";
                int n = pick(4);
                for (int i = 0; i < n; ++i) {
                    if (i) out += ",";
                    out += "{\"name\":" + json::quote(std::string(1, static_cast<char>('a' + pick(3)))) +
                           ",\"v\":" + value(depth - 1) + "}";
                }
                return out + "]";
            }
            case 6: {
                std::string out = "[";
                int n = pick(4);
                for (int i = 0; i < n; ++i) out += (i ? "," : "") + value(depth - 1);
                return out + "]";
            }
            default: {
                std::string out = "{";
                int n = pick(5);
                for (int i = 0; i < n; ++i) {
                    if (i) out += ",";
                    // a few keys, so that objects repeat and merge them
                    out += json::quote(std::string(1, static_cast<char>('k' + pick(4)))) + ":" +
                           value(depth - 1);
                }
                return out + "}";
            }
        }
    }

    std::mt19937 rng_;
};

// Parses, or returns false on ParseError; any other exception fails the test.
bool try_parse(const std::string& text, Value* out, int max_depth = json::max_depth) {
    try {
        *out = json::parse(text, max_depth);
        return true;
    } catch (const json::ParseError&) {
        return false;
    }
}

// Valid documents: parse, serialize, parse again gives the same text.
TEST(JsonRandom, ValidDocumentsRoundTrip) {
    Generator gen(20261128);
    for (int i = 0; i < 5000; ++i) {
        std::string text = gen.document(4);
        Value v;
        ASSERT_TRUE(try_parse(text, &v)) << text;
        std::string once = json::serialize(v);
        Value again;
        ASSERT_TRUE(try_parse(once, &again)) << once;
        EXPECT_EQ(json::serialize(again), once) << text;
    }
}

// Damaged documents (bytes dropped, replaced, inserted, truncated): a
// result or a ParseError, never anything else; what parses round-trips.
TEST(JsonRandom, DamagedDocumentsParseOrFailCleanly) {
    Generator gen(7);
    static const char bytes[] = "{}[]\":,\\u0123456789abcdefEe+-. tnrfl\x01\x7f\xc3\xa9\xff";
    int parsed = 0, refused = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text = gen.document(3);
        int edits = 1 + gen.pick(3);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            std::size_t at = static_cast<std::size_t>(gen.pick(text.size()));
            switch (gen.pick(4)) {
                case 0: text.erase(at, 1); break;
                case 1: text[at] = bytes[gen.pick(sizeof bytes - 1)]; break;
                case 2: text.insert(at, 1, bytes[gen.pick(sizeof bytes - 1)]); break;
                default: text.resize(at); break;
            }
        }
        Value v;
        if (try_parse(text, &v)) {
            ++parsed;
            Value again;
            ASSERT_TRUE(try_parse(json::serialize(v), &again)) << text;
        } else {
            ++refused;
        }
    }
    // Both outcomes happen, so the damage is neither always fatal nor harmless.
    EXPECT_GT(parsed, 100);
    EXPECT_GT(refused, 100);
}

// The merge of any two parsed documents gives a value that serializes and
// parses again, and a scalar patch replaces the base.
TEST(JsonRandom, MergeNeverThrowsAndKeepsItsInput) {
    Generator gen(99);
    for (int i = 0; i < 5000; ++i) {
        Value base = json::parse(gen.document(4));
        Value patch = json::parse(gen.document(4));
        Value merged = json::merge_metrics(base, patch);
        Value again;
        ASSERT_TRUE(try_parse(json::serialize(merged), &again));
        // A scalar or array patch that is not a named-object array replaces.
        if (patch.kind != Kind::object && patch.kind != Kind::array) {
            EXPECT_EQ(json::serialize(merged), json::serialize(patch));
        }
    }
}

// The contract's merge written the plain way, as a model: copies, and finds
// each key and name by a linear search.
Value model_merge(const Value& base, const Value& patch) {
    auto named = [](const Value& array) {
        for (const Value& e : array.items) {
            const Value* name = e.kind == Kind::object ? e.find("\"name\"") : nullptr;
            if (name == nullptr || name->kind != Kind::string) return false;
        }
        return true;
    };
    if (base.kind == Kind::object && patch.kind == Kind::object) {
        Value out = base;
        for (const auto& [key, value] : patch.members) {
            std::size_t at = out.members.size();
            for (std::size_t i = 0; i < out.members.size(); ++i)
                if (out.members[i].first == key) at = i;  // the last of a key
            if (at < out.members.size())
                out.members[at].second = model_merge(out.members[at].second, value);
            else
                out.members.emplace_back(key, value);
        }
        return out;
    }
    if (base.kind == Kind::array && patch.kind == Kind::array && named(base) && named(patch)) {
        Value out = base;
        for (const Value& element : patch.items) {
            const std::string& name = element.find("\"name\"")->text;
            std::size_t at = out.items.size();
            for (std::size_t i = 0; i < out.items.size() && at == out.items.size(); ++i)
                if (out.items[i].find("\"name\"")->text == name) at = i;  // the first of a name
            if (at < out.items.size())
                out.items[at] = model_merge(out.items[at], element);
            else
                out.items.push_back(element);
        }
        return out;
    }
    return patch;
}

// The merge gives what the model gives, for random documents whose arrays
// repeat names and whose objects repeat keys, within one patch too (a name
// merged into many times in one call, its keys and arrays growing).
TEST(JsonRandom, MergeAgreesWithTheModel) {
    Generator gen(4242);
    for (int i = 0; i < 5000; ++i) {
        Value base = json::parse(gen.document(4));
        Value patch = json::parse(gen.document(4));
        ASSERT_EQ(json::serialize(json::merge_metrics(base, patch)),
                  json::serialize(model_merge(base, patch)))
            << json::serialize(base) << " + " << json::serialize(patch);
    }
    // One name many times in one patch, each adding a key and a step.
    std::string patch = "{\"steps\":[";
    for (int i = 0; i < 300; ++i) {
        if (i) patch += ",";
        patch += "{\"name\":\"n" + std::to_string(i % 3) + "\",\"k" + std::to_string(i) +
                 "\":" + std::to_string(i) + ",\"sub\":[{\"name\":\"s" +
                 std::to_string(i % 7) + "\",\"v" + std::to_string(i) + "\":{\"x\":" +
                 std::to_string(i) + "}}]}";
    }
    patch += "]}";
    Value base = json::parse(R"({"steps":[{"name":"n1","k0":"was"}],"other":1})");
    Value p = json::parse(patch);
    EXPECT_EQ(json::serialize(json::merge_metrics(base, p)),
              json::serialize(model_merge(base, p)));
}

// unquote inverts quote for any text without NUL (which jsonb refuses).
TEST(JsonRandom, UnquoteInvertsQuote) {
    Generator gen(3);
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        int n = gen.pick(24);
        for (int c = 0; c < n; ++c) text.push_back(static_cast<char>(1 + gen.pick(255)));
        std::string quoted = json::quote(text);
        EXPECT_EQ(json::unquote(quoted), std::optional<std::string>(text));
        // Damaged quoted text: a value or nullopt, nothing else.
        std::string damaged = quoted;
        damaged[static_cast<std::size_t>(gen.pick(damaged.size()))] = "\\u\"0dD8"[gen.pick(7)];
        (void)json::unquote(damaged);
    }
}

// parse_uuid_input accepts every canonical text parse_uuid accepts, with
// the same bytes, and refuses random damage without crashing.
TEST(JsonRandom, UuidInputAgreesWithCanonicalParse) {
    Generator gen(11);
    static const char bytes[] = "0123456789abcdefABCDEF-{}g ";
    for (int i = 0; i < 20000; ++i) {
        UuidBytes b;
        for (auto& x : b) x = static_cast<std::uint8_t>(gen.pick(256));
        std::string text = uuid_to_string(b);
        EXPECT_EQ(parse_uuid_input(text), std::optional<UuidBytes>(b));
        for (int e = 1 + gen.pick(2); e > 0 && !text.empty(); --e) {
            std::size_t at = static_cast<std::size_t>(gen.pick(text.size()));
            if (gen.pick(2)) text[at] = bytes[gen.pick(sizeof bytes - 1)];
            else text.erase(at, 1);
        }
        std::optional<UuidBytes> canonical = parse_uuid(text);
        std::optional<UuidBytes> input = parse_uuid_input(text);
        if (canonical) {
            EXPECT_EQ(input, canonical) << text;
        }
    }
}

}  // namespace
}  // namespace project_runs
