// Unit tests of the JSON parser, serializer and the metrics merge.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/json.hpp"

namespace project_runs::json {
namespace {

// Parses and serializes again (compact form).
std::string round_trip(std::string_view text) { return serialize(parse(text)); }

// Parses both documents, merges them and serializes the result.
std::string merged(std::string_view base, std::string_view patch) {
    return serialize(merge_metrics(parse(base), parse(patch)));
}

// True when parsing fails with ParseError.
bool rejects(std::string_view text, int max_depth = 200) {
    try {
        parse(text, max_depth);
        return false;
    } catch (const ParseError&) {
        return true;
    }
}

// `depth` arrays nested inside each other.
std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// `depth` objects nested inside each other under key "k".
std::string nested_objects(int depth) {
    std::string text;
    for (int level = 0; level < depth; ++level) text += "{\"k\":";
    text += "0";
    text += std::string(depth, '}');
    return text;
}

// ---- parse: scalars ----

// Literals parse to their kinds.
TEST(JsonParse, Literals) {
    EXPECT_EQ(parse("null").kind, Kind::null);
    const Value yes = parse("true");
    EXPECT_EQ(yes.kind, Kind::boolean);
    EXPECT_TRUE(yes.boolean);
    const Value no = parse("false");
    EXPECT_EQ(no.kind, Kind::boolean);
    EXPECT_FALSE(no.boolean);
}

// Numbers keep their exact source text.
TEST(JsonParse, NumbersKeepSourceText) {
    for (const char* text :
         {"0", "-0", "7", "-12", "3.14", "1.0", "1.50", "0.000001", "1e5", "1E5", "1e+5", "1e-5",
          "-0.5E-10", "123456789012345678901234567890", "1.7976931348623157e309"}) {
        const Value number = parse(text);
        EXPECT_EQ(number.kind, Kind::number) << text;
        EXPECT_EQ(number.text, text);
        EXPECT_EQ(serialize(number), text);
    }
}

// Numbers outside the JSON grammar are rejected.
TEST(JsonParse, RejectsMalformedNumbers) {
    for (const char* text : {"01",        "-01",  "00",    "+1",  "-",    ".5",    "5.",
                             "1.e5",      "1e",   "1e+",   "1E-", "0x10", "NaN",   "Infinity",
                             "-Infinity", "1..2", "1.2.3", "--1", "1-",   "1e5.5", "١"}) {
        EXPECT_TRUE(rejects(text)) << text;
    }
}

// Strings keep their quotes and escapes exactly as written.
TEST(JsonParse, StringsKeepQuotedSourceText) {
    for (const char* text :
         {R"("")", R"("plain")", R"("a\"b")", R"("back\\slash")", R"("\/")", R"("\b\f\n\r\t")",
          R"("\u0041\u00e9\uD83D\uDE00")", R"("\uABCD\uabcd")", "\"caf\xC3\xA9\"", "\"\x7f\""}) {
        const Value string = parse(text);
        EXPECT_EQ(string.kind, Kind::string) << text;
        EXPECT_EQ(string.text, text);
        EXPECT_EQ(serialize(string), text);
    }
}

// Bad escapes, raw control characters and unterminated strings are rejected.
TEST(JsonParse, RejectsMalformedStrings) {
    for (const char* text :
         {R"(")", R"("abc)", R"("\")", R"("\x41")", R"("\a")", R"("\'")", R"("\u")", R"("\u12")",
          R"("\u123")", R"("\u12G4")", R"("\U0041")", R"('single')", "\"tab\there\"",
          "\"new\nline\"", "\"\x01\"", "\"\x1f\""}) {
        EXPECT_TRUE(rejects(text)) << text;
    }
    EXPECT_TRUE(rejects(std::string_view("\"nul\0\"", 6)));
}

// Literals must be spelled exactly.
TEST(JsonParse, RejectsMisspelledLiterals) {
    for (const char* text : {"nul", "nulll", "True", "FALSE", "tru", "t", "undefined", "None"}) {
        EXPECT_TRUE(rejects(text)) << text;
    }
}

// ---- parse: containers ----

// Arrays keep their elements in order.
TEST(JsonParse, Arrays) {
    const Value array = parse(R"([1, "two", [3], {"four": 4}, true, null])");
    ASSERT_EQ(array.kind, Kind::array);
    ASSERT_EQ(array.items.size(), 6u);
    EXPECT_EQ(array.items[0].text, "1");
    EXPECT_EQ(array.items[1].text, "\"two\"");
    EXPECT_EQ(array.items[2].kind, Kind::array);
    EXPECT_EQ(array.items[3].kind, Kind::object);
    EXPECT_TRUE(array.items[4].boolean);
    EXPECT_EQ(array.items[5].kind, Kind::null);
    EXPECT_TRUE(parse("[]").items.empty());
}

// Objects keep member order and quoted keys.
TEST(JsonParse, Objects) {
    const Value object = parse(R"({"b": 1, "a": {"x": []}, "c\n": "s"})");
    ASSERT_EQ(object.kind, Kind::object);
    ASSERT_EQ(object.members.size(), 3u);
    EXPECT_EQ(object.members[0].first, "\"b\"");
    EXPECT_EQ(object.members[1].first, "\"a\"");
    EXPECT_EQ(object.members[2].first, R"("c\n")");
    EXPECT_EQ(object.members[1].second.members[0].second.kind, Kind::array);
    EXPECT_TRUE(parse("{}").members.empty());
}

// A repeated key keeps its first position and takes the last value.
TEST(JsonParse, DuplicateKeysLastValueWins) {
    const Value object = parse(R"({"a": 1, "b": 2, "a": 3, "a": {"x": 1}})");
    ASSERT_EQ(object.members.size(), 2u);
    EXPECT_EQ(serialize(object), R"({"a":{"x":1},"b":2})");
    // Differently escaped spellings are different source texts.
    EXPECT_EQ(parse(R"({"a": 1, "\u0061": 2})").members.size(), 2u);
}

// RepeatedKeys::keep lists every member in text order, nested ones too,
// so that a reader can let the last one win as jsonb does.
TEST(JsonParse, RepeatedKeysKeptInTextOrder) {
    const Value object =
        parse(R"({"a": 1, "b": 2, "a": 3, "c": {"x": 1, "x": 2}})", max_depth, RepeatedKeys::keep);
    ASSERT_EQ(object.members.size(), 4u);
    EXPECT_EQ(object.members[0].first, "\"a\"");
    EXPECT_EQ(object.members[2].first, "\"a\"");
    EXPECT_EQ(object.members[2].second.text, "3");
    EXPECT_EQ(object.members[3].second.members.size(), 2u);
    // The depth limit holds in this mode too.
    const std::string deep = std::string(201, '[') + std::string(201, ']');
    EXPECT_THROW(parse(deep, max_depth, RepeatedKeys::keep), ParseError);
}

// All four whitespace characters are skipped everywhere.
TEST(JsonParse, Whitespace) {
    EXPECT_EQ(round_trip(" \t\r\n{ \"a\" \n:\t[ 1 ,\r2 ] , \"b\" : { } }\n "),
              R"({"a":[1,2],"b":{}})");
    EXPECT_EQ(round_trip("  true  "), "true");
}

// Other whitespace-like characters are not JSON whitespace.
TEST(JsonParse, RejectsNonJsonWhitespace) {
    EXPECT_TRUE(rejects("\v1"));
    EXPECT_TRUE(rejects("\f1"));
    EXPECT_TRUE(rejects("1\xC2\xA0"));
    EXPECT_TRUE(rejects("[1,\v2]"));
}

// Empty input is not a document.
TEST(JsonParse, RejectsEmptyInput) {
    EXPECT_TRUE(rejects(""));
    EXPECT_TRUE(rejects("   "));
    EXPECT_TRUE(rejects("\n\t"));
}

// Malformed arrays are rejected.
TEST(JsonParse, RejectsMalformedArrays) {
    for (const char* text : {"[", "]", "[1,]", "[,1]", "[1 2]", "[1,,2]", "[}", "[1}", "[[]"}) {
        EXPECT_TRUE(rejects(text)) << text;
    }
}

// Malformed objects are rejected.
TEST(JsonParse, RejectsMalformedObjects) {
    for (const char* text : {R"({)", R"(})", R"({"a"})", R"({"a":})", R"({"a" 1})", R"({"a":1,})",
                             R"({,})", R"({1:2})", R"({a:1})", R"({'a':1})", R"({"a":1 "b":2})",
                             R"({])", R"({"a":1])", R"({"a"::1})", R"({null:1})"}) {
        EXPECT_TRUE(rejects(text)) << text;
    }
}

// Only one value per document.
TEST(JsonParse, RejectsTrailingGarbage) {
    for (const char* text :
         {"1 2", "{} {}", "[]]", "{}}", "null x", "truex", "\"a\"\"b\"", "1,", "[1]//", "0 0"}) {
        EXPECT_TRUE(rejects(text)) << text;
    }
    EXPECT_TRUE(rejects(std::string_view("{}\0", 3)));
}

// Errors name the offset where parsing stopped.
TEST(JsonParse, ErrorMessageNamesOffset) {
    try {
        parse("[1, 2, x]");
        FAIL() << "no ParseError";
    } catch (const ParseError& error) {
        EXPECT_NE(std::string(error.what()).find("offset 7"), std::string::npos) << error.what();
    }
}

// Nesting up to max_depth is accepted, one more level is rejected.
TEST(JsonParse, DepthLimit) {
    EXPECT_NO_THROW(parse(nested_arrays(200)));
    EXPECT_TRUE(rejects(nested_arrays(201)));
    EXPECT_NO_THROW(parse(nested_objects(200)));
    EXPECT_TRUE(rejects(nested_objects(201)));
    EXPECT_NO_THROW(parse(nested_arrays(3), 3));
    EXPECT_TRUE(rejects(nested_arrays(4), 3));
    EXPECT_TRUE(rejects("[{\"a\":[1]}]", 2));
    EXPECT_NO_THROW(parse("[{\"a\":[1]}]", 3));
}

// Depth counts nesting, not the number of sibling containers.
TEST(JsonParse, DepthCountsNestingOnly) {
    EXPECT_NO_THROW(parse("[[],[],[],{},{}]", 2));
    EXPECT_NO_THROW(parse("42", 0));
    EXPECT_TRUE(rejects("[]", 0));
}

// A very deep document fails cleanly instead of exhausting the stack.
TEST(JsonParse, VeryDeepInputFailsCleanly) {
    EXPECT_TRUE(rejects(nested_arrays(100000)));
    EXPECT_TRUE(rejects(std::string(100000, '[')));
}

// ---- serialize ----

// Compact output, member order kept.
TEST(JsonSerialize, CompactOutput) {
    EXPECT_EQ(round_trip(R"({ "a" : 1 , "b" : [ true , null ] })"), R"({"a":1,"b":[true,null]})");
    EXPECT_EQ(round_trip("[ ]"), "[]");
    EXPECT_EQ(round_trip("{ }"), "{}");
    EXPECT_EQ(round_trip(R"([ "a b" , "c\td" ])"), R"(["a b","c\td"])");
}

// Serializing the output again gives the same text.
TEST(JsonSerialize, IsStable) {
    const std::string text =
        R"({"steps":[{"name":"fetch","rows":1.50e3,"ok":true},{"name":"x\"y","v":null}],"n":-0})";
    EXPECT_EQ(round_trip(text), text);
    EXPECT_EQ(round_trip(round_trip(text)), text);
}

// Hand-built values serialize too.
TEST(JsonSerialize, HandBuiltValues) {
    Value object;
    object.kind = Kind::object;
    Value number;
    number.kind = Kind::number;
    number.text = "42";
    Value flag;
    flag.kind = Kind::boolean;
    flag.boolean = false;
    Value list;
    list.kind = Kind::array;
    list.items = {number, flag, Value{}};
    object.members.emplace_back("\"n\"", number);
    object.members.emplace_back("\"list\"", list);
    EXPECT_EQ(serialize(object), R"({"n":42,"list":[42,false,null]})");
    EXPECT_EQ(serialize(Value{}), "null");
}

// ---- find ----

// Members are found by their quoted key text.
TEST(JsonFind, FindsMembersByQuotedKey) {
    Value object = parse(R"({"name": "run", "n": 1, "a\"b": 2})");
    const Value* name = object.find("\"name\"");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(name->text, "\"run\"");
    ASSERT_NE(object.find(R"("a\"b")"), nullptr);
    EXPECT_EQ(object.find(R"("a\"b")")->text, "2");
    EXPECT_EQ(object.find("name"), nullptr);  // unquoted
    EXPECT_EQ(object.find("\"missing\""), nullptr);

    Value* n = object.find("\"n\"");
    ASSERT_NE(n, nullptr);
    n->text = "5";
    EXPECT_EQ(serialize(object), R"({"name":"run","n":5,"a\"b":2})");
}

// Non-objects have no members.
TEST(JsonFind, NonObjectsHaveNoMembers) {
    EXPECT_EQ(parse(R"(["name"])").find("\"name\""), nullptr);
    EXPECT_EQ(parse(R"("name")").find("\"name\""), nullptr);
    EXPECT_EQ(parse("null").find("\"name\""), nullptr);
}

// With hand-built duplicate keys, the last one is found (it is the one that wins).
TEST(JsonFind, HandBuiltDuplicatesFindTheLast) {
    Value object;
    object.kind = Kind::object;
    Value first;
    first.kind = Kind::number;
    first.text = "1";
    Value second = first;
    second.text = "2";
    object.members.emplace_back("\"k\"", first);
    object.members.emplace_back("\"k\"", second);
    ASSERT_NE(object.find("\"k\""), nullptr);
    EXPECT_EQ(object.find("\"k\"")->text, "2");
}

// ---- merge_metrics ----

// Objects merge key by key: base order, replaced values, new keys appended.
TEST(JsonMerge, ObjectsMergeKeyByKey) {
    EXPECT_EQ(merged(R"({"a":1,"b":2,"c":3})", R"({"b":20,"d":4,"a":10})"),
              R"({"a":10,"b":20,"c":3,"d":4})");
    EXPECT_EQ(merged("{}", R"({"a":1})"), R"({"a":1})");
    EXPECT_EQ(merged(R"({"a":1})", "{}"), R"({"a":1})");
    EXPECT_EQ(merged("{}", "{}"), "{}");
}

// Objects merge recursively at any depth.
TEST(JsonMerge, DeepObjectsMergeRecursively) {
    EXPECT_EQ(merged(R"({"a":{"b":{"c":{"d":1,"e":2},"f":3}},"g":4})",
                     R"({"a":{"b":{"c":{"e":20,"h":5}}}})"),
              R"({"a":{"b":{"c":{"d":1,"e":20,"h":5},"f":3}},"g":4})");
}

// A deeply nested merge within the default parse depth works.
TEST(JsonMerge, VeryDeepObjects) {
    std::string base;
    std::string patch;
    std::string expected;
    for (int level = 0; level < 150; ++level) {
        base += "{\"k\":";
        patch += "{\"k\":";
        expected += "{\"k\":";
    }
    base += "{\"x\":1}";
    patch += "{\"y\":2}";
    expected += "{\"x\":1,\"y\":2}";
    base += std::string(150, '}');
    patch += std::string(150, '}');
    expected += std::string(150, '}');
    EXPECT_EQ(merged(base, patch), expected);
}

// Null, scalars and mismatched kinds: the patch replaces the base.
TEST(JsonMerge, PatchReplacesNonMergeableValues) {
    EXPECT_EQ(merged(R"({"a":1})", R"({"a":"x"})"), R"({"a":"x"})");
    EXPECT_EQ(merged(R"({"a":1})", R"({"a":{"b":2}})"), R"({"a":{"b":2}})");
    EXPECT_EQ(merged(R"({"a":{"b":2}})", R"({"a":3})"), R"({"a":3})");
    EXPECT_EQ(merged(R"({"a":{"b":2}})", R"({"a":null})"), R"({"a":null})");
    EXPECT_EQ(merged(R"({"a":[1]})", R"({"a":{"b":2}})"), R"({"a":{"b":2}})");
    EXPECT_EQ(merged(R"({"a":{"b":2}})", R"({"a":[1]})"), R"({"a":[1]})");
    EXPECT_EQ(merged(R"({"a":true})", R"({"a":false})"), R"({"a":false})");
    EXPECT_EQ(merged("1", "2"), "2");
    EXPECT_EQ(merged(R"({"a":1})", "[1]"), "[1]");
    EXPECT_EQ(merged("[1]", R"({"a":1})"), R"({"a":1})");
    EXPECT_EQ(merged(R"({"a":1})", "null"), "null");
    EXPECT_EQ(merged("null", R"({"a":1})"), R"({"a":1})");
}

// The contract's step example: same names merge, new names are appended.
TEST(JsonMerge, StepArraysMergeByName) {
    EXPECT_EQ(merged(R"({"steps":[{"name":"a","status":"running"}]})",
                     R"({"steps":[{"name":"a","status":"succeeded"},{"name":"b"}]})"),
              R"({"steps":[{"name":"a","status":"succeeded"},{"name":"b"}]})");
}

// Base order is kept; matched steps merge their fields recursively.
TEST(JsonMerge, NamedArraysKeepBaseOrder) {
    EXPECT_EQ(merged(R"([{"name":"a","n":1},{"name":"b","n":2,"m":{"x":1}},{"name":"c"}])",
                     R"([{"name":"d"},{"name":"b","m":{"y":2}},{"name":"a","n":10}])"),
              R"([{"name":"a","n":10},{"name":"b","n":2,"m":{"x":1,"y":2}},{"name":"c"},)"
              R"({"name":"d"}])");
}

// Named elements nested inside named elements merge at every level.
TEST(JsonMerge, NestedNamedArrays) {
    EXPECT_EQ(
        merged(R"({"steps":[{"name":"s","substeps":[{"name":"x","v":1},{"name":"y","v":2}]}]})",
               R"({"steps":[{"name":"s","substeps":[{"name":"y","v":20},{"name":"z"}]}]})"),
        R"({"steps":[{"name":"s","substeps":[{"name":"x","v":1},{"name":"y","v":20},)"
        R"({"name":"z"}]}]})");
}

// Names compare by their quoted source text.
TEST(JsonMerge, NamesCompareBySourceText) {
    EXPECT_EQ(merged(R"([{"name":"a","v":1}])", R"([{"name":"A","v":2}])"),
              R"([{"name":"a","v":1},{"name":"A","v":2}])");
    EXPECT_EQ(merged(R"([{"name":"a\"b","v":1}])", R"([{"name":"a\"b","v":2}])"),
              R"([{"name":"a\"b","v":2}])");
}

// A step's name itself may be replaced by the matching patch element (same value).
TEST(JsonMerge, NameMemberPositionKept) {
    EXPECT_EQ(merged(R"([{"v":1,"name":"a"}])", R"([{"name":"a","w":2}])"),
              R"([{"v":1,"name":"a","w":2}])");
}

// Arrays that are not all named objects are replaced by the patch.
TEST(JsonMerge, UnnamedArraysAreReplaced) {
    EXPECT_EQ(merged("[1,2,3]", "[4]"), "[4]");
    EXPECT_EQ(merged("[1,2,3]", "[]"), "[]");
    EXPECT_EQ(merged("[]", "[1]"), "[1]");
    EXPECT_EQ(merged(R"([{"name":"a"}])", R"([{"name":"b"},1])"), R"([{"name":"b"},1])");
    EXPECT_EQ(merged(R"([{"name":"a"},1])", R"([{"name":"a","v":1}])"), R"([{"name":"a","v":1}])");
    EXPECT_EQ(merged(R"([{"name":"a"}])", R"([{"name":"a"},{"id":"b"}])"),
              R"([{"name":"a"},{"id":"b"}])");
    EXPECT_EQ(merged(R"([{"name":"a","v":1}])", R"([{"name":1,"v":2}])"), R"([{"name":1,"v":2}])");
    EXPECT_EQ(merged(R"([{"name":"a","v":1}])", R"([{"name":null}])"), R"([{"name":null}])");
    EXPECT_EQ(merged(R"([{"name":"a","v":1}])", R"([{"name":{"x":"a"}}])"),
              R"([{"name":{"x":"a"}}])");
    EXPECT_EQ(merged(R"([{"name":"a"}])", R"([["name","a"]])"), R"([["name","a"]])");
    EXPECT_EQ(merged(R"([[1],[2]])", R"([[3]])"), R"([[3]])");
}

// Empty arrays count as named arrays: [] takes the named patch, and a []
// patch leaves a named base unchanged.
TEST(JsonMerge, EmptyArraysCountAsNamed) {
    EXPECT_EQ(merged("[]", R"([{"name":"a"},{"name":"b"}])"), R"([{"name":"a"},{"name":"b"}])");
    EXPECT_EQ(merged(R"([{"name":"a"},{"name":"b"}])", "[]"), R"([{"name":"a"},{"name":"b"}])");
    EXPECT_EQ(merged("[]", "[]"), "[]");
    EXPECT_EQ(merged(R"({"steps":[]})", R"({"steps":[{"name":"a"}]})"),
              R"({"steps":[{"name":"a"}]})");
}

// A name repeated in the patch merges onto the element already there.
TEST(JsonMerge, RepeatedPatchNamesFold) {
    EXPECT_EQ(merged(R"([{"name":"a","v":1}])", R"([{"name":"a","v":2},{"name":"a","w":3}])"),
              R"([{"name":"a","v":2,"w":3}])");
    EXPECT_EQ(merged("[]", R"([{"name":"b","v":1},{"name":"b","v":2}])"),
              R"([{"name":"b","v":2}])");
}

// A name repeated in the base: the patch merges into its first element only.
TEST(JsonMerge, RepeatedBaseNamesMergeIntoTheFirst) {
    EXPECT_EQ(merged(R"([{"name":"a","v":1},{"name":"a","v":2}])", R"([{"name":"a","v":3}])"),
              R"([{"name":"a","v":3},{"name":"a","v":2}])");
}

// Merging never changes its inputs.
TEST(JsonMerge, InputsAreUnchanged) {
    const Value base = parse(R"({"a":{"b":1},"steps":[{"name":"x","v":1}]})");
    const Value patch = parse(R"({"a":{"c":2},"steps":[{"name":"x","v":2},{"name":"y"}]})");
    const std::string base_text = serialize(base);
    const std::string patch_text = serialize(patch);
    merge_metrics(base, patch);
    EXPECT_EQ(serialize(base), base_text);
    EXPECT_EQ(serialize(patch), patch_text);
}

// Merging a document with itself changes nothing.
TEST(JsonMerge, SelfMergeIsIdentity) {
    const std::string text =
        R"({"rows":5,"steps":[{"name":"a","t":[1,2]},{"name":"b","m":{"x":null}}],"ok":true})";
    EXPECT_EQ(merged(text, text), text);
}

// A realistic run-metrics update.
TEST(JsonMerge, RealisticMetricsUpdate) {
    const std::string base =
        R"({"rows_in":100,"steps":[{"name":"load","status":"succeeded","ms":12},)"
        R"({"name":"transform","status":"running"}],"tags":["a","b"]})";
    const std::string patch =
        R"({"rows_out":98,"steps":[{"name":"transform","status":"succeeded","ms":40},)"
        R"({"name":"write","status":"running"}],"tags":["c"]})";
    EXPECT_EQ(merged(base, patch),
              R"({"rows_in":100,"steps":[{"name":"load","status":"succeeded","ms":12},)"
              R"({"name":"transform","status":"succeeded","ms":40},)"
              R"({"name":"write","status":"running"}],"tags":["c"],"rows_out":98})");
}

// unquote decodes what jsonb decodes (claims ->> 'sub').
TEST(JsonUnquote, DecodesEscapes) {
    EXPECT_EQ(unquote(R"("plain")"), "plain");
    EXPECT_EQ(unquote(R"("")"), "");
    EXPECT_EQ(unquote(R"("a\"b\\c\/d")"), "a\"b\\c/d");
    EXPECT_EQ(unquote(R"("\b\f\n\r\t")"), "\b\f\n\r\t");
    EXPECT_EQ(unquote(R"("\u0073ub")"), "sub");
    EXPECT_EQ(unquote(R"("\u00e9")"), "\xc3\xa9");                 // é
    EXPECT_EQ(unquote(R"("\u20AC")"), "\xe2\x82\xac");             // €
    EXPECT_EQ(unquote(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");   // U+1F600
    EXPECT_EQ(unquote("\"caf\xc3\xa9\""), "caf\xc3\xa9");          // raw UTF-8 kept
}

TEST(JsonUnquote, RefusesWhatJsonbRefuses) {
    const char* const refused[] = {
        R"("\u0000")",        // jsonb: unsupported Unicode escape sequence
        R"("\ud83d")",        // a high half alone
        R"("\ud83dx")",       // a high half before a plain character
        R"("\ud83d\u0041")",  // a high half before a non-surrogate escape
        R"("\ude00")",        // a low half alone
        R"("\u12")",          // short escape
        R"("\x")",            // not an escape
        R"(plain)",           // not quoted
        R"(")",               // one quote
    };
    for (const char* text : refused) EXPECT_FALSE(unquote(text).has_value()) << text;
}

// What parse keeps decodes back to the original text.
TEST(JsonUnquote, InvertsQuote) {
    for (std::string text : {"", "x", "a \"quoted\" \\ path/", "tab\tnew\nline", "\x01\x1f",
                             "caf\xc3\xa9 \xe2\x82\xac"}) {
        Value v = parse(quote(text));
        EXPECT_EQ(unquote(v.text), text);
    }
}

// ---- set_poll ----

int g_polls = 0;
int g_polls_before_throw = -1;

void counting_poll() {
    ++g_polls;
    if (g_polls_before_throw >= 0 && g_polls > g_polls_before_throw)
        throw std::runtime_error("cancel");
}

// Runs f with counting_poll installed, throwing after `allowed` polls
// (-1: never); returns the number of polls.
template <typename F>
int polls_during(F&& f, int allowed = -1) {
    g_polls = 0;
    g_polls_before_throw = allowed;
    set_poll(counting_poll);
    try {
        f();
    } catch (...) {
        set_poll(nullptr);
        throw;
    }
    set_poll(nullptr);
    return g_polls;
}

// A big document: parse, serialize and the merge call the poll as they go,
// and an exception it throws stops each of them.
TEST(JsonPoll, LongWorkPollsAndStopsWhenThePollThrows) {
    std::string big = "{\"steps\":[";
    for (int i = 0; i < 20000; ++i)
        big += std::string(i ? "," : "") + "{\"name\":\"same\",\"v" + std::to_string(i) +
               "\":" + std::to_string(i) + "}";
    big += "]}";
    Value patch;
    EXPECT_GE(polls_during([&] { patch = parse(big); }), 10);
    Value base = parse(R"({"steps":[{"name":"same"}]})");
    Value merged;
    EXPECT_GE(polls_during([&] { merged = merge_metrics(base, patch); }), 10);
    EXPECT_EQ(merged.find("\"steps\"")->items.size(), 1u);
    EXPECT_EQ(merged.find("\"steps\"")->items[0].members.size(), 20001u);
    EXPECT_GE(polls_during([&] { serialize(merged); }), 1);
    EXPECT_THROW(polls_during([&] { parse(big); }, 2), std::runtime_error);
    EXPECT_THROW(polls_during([&] { merge_metrics(base, patch); }, 2), std::runtime_error);
    EXPECT_THROW(polls_during([&] { serialize(patch); }, 2), std::runtime_error);
    // without a poll nothing is called
    g_polls = 0;
    parse(big);
    EXPECT_EQ(g_polls, 0);
}

}  // namespace
}  // namespace project_runs::json
