// The direct JSON writer and reader of the canonical types
// (plugins/include/ketenhub/sdk/canonical_json.hpp) against nlohmann's tree:
// the same text out, the same values in, the same inputs refused.
#include <ketenhub/sdk/canonical_json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using namespace ketenhub::sdk;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Every adapter's golden decode results: real events of all five partners.
std::vector<fs::path> golden_files() {
    std::vector<fs::path> out;
    for (const auto& adapter : fs::directory_iterator(fs::path(KETENHUB_SOURCE_DIR) / "adapters")) {
        const auto golden = adapter.path() / "golden";
        if (!fs::is_directory(golden)) continue;
        for (const auto& f : fs::directory_iterator(golden))
            if (f.path().extension() == ".json") out.push_back(f.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Event sample_event() {
    Event e;
    e.type = "referral";
    e.event_date = "2010-10-19";
    e.source = {"coa", "Doorverwijzing", "B-1", "B-1", 3};
    PersonRef p;
    p.v_number = "3100001032";
    p.partner_ids = {{"coa", "40001032"}, {"vwn", "VWN-AM-1"}};
    p.family_name = "Ademi";
    p.birth_date = "1972";
    p.birth_date_precision = "year";
    p.sex = "M";
    e.person = p;
    e.hub_referral_id = "SDT-2010-000001";
    e.fields["reason"] = {std::string("Wil terug naar Tetovo\n\"bakkerij\" \\ \t\x01\x1f\x7f é €"),
                          Sensitivity::SpecialCategory};
    e.fields["consent_organisations"] = {Json::array({"SDT", "MBT"}), Sensitivity::Personal};
    e.fields["count"] = {Json(-42), Sensitivity::Public};
    e.fields["unsigned"] = {Json(42u), Sensitivity::Public};
    e.fields["ratio"] = {Json(0.25), Sensitivity::Public};
    e.fields["flag"] = {Json(false), Sensitivity::Public};
    e.fields["none"] = {Json(nullptr), Sensitivity::Confidential};
    e.fields["nested"] = {Json{{"b", 1}, {"a", Json::array({1, "x", nullptr})}}, Sensitivity::Personal};
    return e;
}

}  // namespace

TEST(CanonicalJson, GoldenDecodeResultsAreWrittenExactlyAsNlohmannWritesThem) {
    const auto files = golden_files();
    ASSERT_GE(files.size(), 20u) << "the adapters' golden files were not found under " << KETENHUB_SOURCE_DIR;
    for (const auto& f : files) {
        SCOPED_TRACE(f.string());
        const Json tree = Json::parse(read_file(f));
        if (!tree.contains("records")) continue;  // an error report, not a decode result
        const auto doc = tree.get<DecodedDocument>();
        EXPECT_EQ(to_json_text(doc), Json(doc).dump());
        for (const auto& rec : doc.records)
            for (const auto& e : rec.events) EXPECT_EQ(to_json_text(e), Json(e).dump());
    }
}

TEST(CanonicalJson, GoldenDecodeResultsReadBackToTheSameValues) {
    for (const auto& f : golden_files()) {
        SCOPED_TRACE(f.string());
        const std::string text = read_file(f);  // pretty-printed: whitespace everywhere
        const Json tree = Json::parse(text);
        if (!tree.contains("records")) continue;
        const auto doc = decoded_document_from_json_text(text);
        EXPECT_EQ(Json(doc), tree);
        EXPECT_EQ(Json(doc).dump(), Json(tree.get<DecodedDocument>()).dump());
    }
}

TEST(CanonicalJson, EscapesNumbersAndNestedValuesMatchNlohmann) {
    const Event e = sample_event();
    const std::string text = to_json_text(e);
    EXPECT_EQ(text, Json(e).dump());
    EXPECT_NE(text.find(R"(\n\"bakkerij\" \\ \t\u0001\u001f)"), std::string::npos) << text;
    const Event back = event_from_json_text(text);
    EXPECT_EQ(Json(back), Json(e));
    EXPECT_EQ(back.fields.at("unsigned").value.type(), Json::value_t::number_unsigned);
    EXPECT_EQ(back.fields.at("count").value.get<long>(), -42);
    EXPECT_EQ(back.person->birth_date_precision, "year");
}

TEST(CanonicalJson, RandomStringsAreEscapedAsNlohmannEscapesThem) {
    std::mt19937 rng(20261129);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 40);
    int valid = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string s(static_cast<size_t>(len(rng)), '\0');
        for (auto& c : s) c = static_cast<char>(byte(rng) % (i % 3 == 0 ? 128 : 256));
        std::string ours;
        bool ours_ok = true, theirs_ok = true;
        std::string theirs;
        try {
            json_text::append_string(ours, s);
        } catch (const CanonicalJsonError&) {
            ours_ok = false;
        }
        try {
            theirs = Json(s).dump();
        } catch (const Json::exception&) {
            theirs_ok = false;
        }
        ASSERT_EQ(ours_ok, theirs_ok) << "string #" << i;
        if (!ours_ok) continue;
        ++valid;
        ASSERT_EQ(ours, theirs) << "string #" << i;
        json_text::Reader r(ours);
        ASSERT_EQ(r.string(), s) << "string #" << i;
    }
    EXPECT_GT(valid, 5000);  // the comparison ran on valid strings, not only on refusals
}

TEST(CanonicalJson, EscapesAndUnicodeInInputAreDecoded) {
    const auto e = event_from_json_text(
        R"( { "type" : "contact", "event_date":"2010-01-01", "unknown": {"a":[1,2,{"b":null}]},
              "source":{"partner":"vwn","document_type":"Export","message_id":"","record_id":"R\/1","line":7, "x":1.5},
              "fields":{"note":{"value":"caf\u00e9 \ud83d\ude00 \"q\"","sensitivity":"personal"}},
              "person": null, "hub_referral_id": null } )");
    EXPECT_EQ(e.type, "contact");
    EXPECT_EQ(e.source.record_id, "R/1");
    EXPECT_EQ(e.source.line, 7);
    EXPECT_FALSE(e.person);
    EXPECT_FALSE(e.hub_referral_id);
    EXPECT_EQ(e.fields.at("note").value.get<std::string>(), "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\"");
}

TEST(CanonicalJson, MalformedOrIncompleteInputIsRefusedWithItsOffset) {
    const std::string good = to_json_text(sample_event());
    ASSERT_NO_THROW(event_from_json_text(good));
    const std::vector<std::string> bad = {
        "",
        "{",
        good + "x",
        good.substr(0, good.size() - 1),
        R"({"type":"a","event_date":"b"})",                                    // no source
        R"({"type":1,"event_date":"b","source":{}})",                          // type not a string
        R"({"type":"a","event_date":"b","source":{"partner":"p"}})",           // source incomplete
        R"({"type":"a","event_date":"b","source":{"partner":"p","document_type":"d","message_id":"m","record_id":"r","line":"7"}})",
        R"({"type":"a","event_date":"b","source":{"partner":"p","document_type":"d","message_id":"m","record_id":"r"},"fields":{"f":{"value":1}}})",
        R"({"type":"a","event_date":"b","source":{"partner":"p","document_type":"d","message_id":"m","record_id":"r"},"fields":{"f":{"value":1,"sensitivity":"secret"}}})",
        R"({"type":"a\x","event_date":"b","source":{}})",
        R"({"type":"a\ud800","event_date":"b","source":{}})",
        "{\"type\":\"a\x01\",\"event_date\":\"b\",\"source\":{}}",
        "{\"type\":\"\xC3\",\"event_date\":\"b\",\"source\":{}}",
        R"({"type":"a","event_date":"b","source":{"partner":"p","document_type":"d","message_id":"m","record_id":"r","line":01}})",
        R"({"type":"a","event_date":"b","source":{"partner":"p","document_type":"d","message_id":"m","record_id":"r"},"fields":{"f":{"value":tru,"sensitivity":"public"}}})",
    };
    for (const auto& text : bad) {
        SCOPED_TRACE(text);
        bool nlohmann_refuses = false;
        try {
            (void)Json::parse(text).get<Event>();
        } catch (const std::exception&) {
            nlohmann_refuses = true;
        }
        EXPECT_TRUE(nlohmann_refuses) << "the case itself is wrong";
        try {
            (void)event_from_json_text(text);
            ADD_FAILURE() << "accepted";
        } catch (const CanonicalJsonError& e) {
            EXPECT_NE(std::string(e.what()).find("at byte "), std::string::npos) << e.what();
        }
    }
}

TEST(CanonicalJson, ADecodeResultWithoutItsRequiredMembersIsRefused) {
    EXPECT_THROW(decoded_document_from_json_text(R"({"document_type":"X"})"), CanonicalJsonError);
    EXPECT_THROW(decoded_document_from_json_text(R"({"document_type":"X","records":[{"record_id":"1"}]})"),
                 CanonicalJsonError);
    EXPECT_THROW(decoded_document_from_json_text(R"({"document_type":"X","records":[{"record_id":"1","accepted":"yes"}]})"),
                 CanonicalJsonError);
    const auto d = decoded_document_from_json_text(
        R"({"document_type":"X","records":[{"record_id":"1","accepted":false,"line":2.0,
            "problems":[{"message":"m","line":4}],"snapshot":{"scope":"s","version":"v"}}],"future":true})");
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_FALSE(d.records[0].accepted);
    EXPECT_EQ(d.records[0].line, 2);
    EXPECT_EQ(d.records[0].problems.at(0).line, 4);
    EXPECT_EQ(d.records[0].snapshot->version, "v");
    EXPECT_EQ(to_json_text(d), Json(d).dump());
}
