// The chain's routing rules (hub/routing, docs/routing.md) on hand-made
// histories: who gets what, and what is withheld and why.
#include "routing/routing_rules.hpp"
#include "adapter_harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace ketenhub;
using routing::Action;
using routing::Decision;
using sdk::Json;
using sdk::Sensitivity;

namespace {

routing::CountryMatrix matrix() {
    static auto m = routing::CountryMatrix::load(ketenhub::testing::source_dir() + "/config/reference/country-matrix.txt");
    return *m;
}

struct History {
    routing::PersonContext pc;
    int64_t seq = 0;

    History() {
        pc.hub_id = "KH-000001";
        pc.person.hub_id = "KH-000001";
        pc.person.v_number = "2046718305";
        pc.person.family_name = "Beridze";
        pc.person.given_names = "Giorgi";
        pc.person.birth_date = "1978-04-12";
        pc.person.sex = "M";
        pc.person.nationality = "GE";
        pc.person.country_of_return = "GE";
    }

    store::StoredEvent& add(const std::string& partner, const std::string& type, const std::string& date,
                            std::map<std::string, Json> fields, const std::string& record = "") {
        store::StoredEvent se;
        se.seq = ++seq;
        se.person_hub_id = pc.hub_id;
        se.partner = partner;
        se.record_id = record.empty() ? partner + "-" + std::to_string(seq) : record;
        se.event.type = type;
        se.event.event_date = date;
        se.event.source = {partner, "Doc", se.record_id, se.record_id, 1};
        sdk::PersonRef p;
        p.v_number = pc.person.v_number;
        p.country_of_return = pc.person.country_of_return;
        se.event.person = p;
        for (auto& [k, v] : fields) se.event.fields[k] = sdk::Field{v, Sensitivity::Personal};
        pc.events.push_back(se);
        return pc.events.back();
    }

    store::StoredEvent& coa_referral(const std::string& to, std::vector<std::string> consent,
                                     std::map<std::string, Json> extra = {}) {
        std::map<std::string, Json> f{{"referral_number", "FO-2010-00" + std::to_string(300 + seq)},
                                      {"referred_to", to},
                                      {"consent_given", true},
                                      {"consent_date", "2010-06-15T11:10:00+02:00"},
                                      {"consent_organisations", consent}};
        for (auto& [k, v] : extra) f[k] = v;
        auto& e = add("coa", "referral", "2010-06-15", f);
        e.event.person->partner_ids.push_back({"coa", "30415522"});
        if (std::none_of(pc.partner_ids.begin(), pc.partner_ids.end(), [](auto& p) { return p.scheme == "coa"; }))
            pc.partner_ids.push_back({"coa", "30415522"});
        return e;
    }

    void referral(const std::string& id, const std::string& receiver, const std::string& status,
                  const std::string& origin_partner = "coa", const std::string& origin_record = "") {
        pc.referrals.push_back({id, receiver, origin_partner, origin_record, "2010-06-16T08:00:00Z", status});
    }

    std::vector<Decision> route(const store::StoredEvent& e) const {
        static const auto m = matrix();
        return routing::route({e, pc, m, "2010-06-16T10:00:00+02:00"});
    }
};

const Decision* find(const std::vector<Decision>& ds, const std::string& partner, const std::string& type = "") {
    for (const auto& d : ds)
        if (d.partner == partner && (type.empty() || d.message.type == type)) return &d;
    return nullptr;
}

std::string dump(const std::vector<Decision>& ds) {
    std::string s;
    for (const auto& d : ds) s += routing::to_string(d.action) + " " + d.partner + " " + d.message.type + ": " + d.reason + "\n";
    return s;
}

}  // namespace

TEST(CountryMatrixTest, TheVendoredMatrixGivesEachCountrysPartnerAndSpecialists) {
    auto m = matrix();
    EXPECT_EQ(m.find("GE")->in_kind_partner, "iom");
    EXPECT_EQ(m.find("SL")->in_kind_partner, "mbt");
    EXPECT_EQ(m.find("SL")->specialists, (std::vector<std::string>{"HNTPO", "BB"}));
    EXPECT_EQ(m.find("AO")->in_kind_partner, "iom") << "Angola: IOM, though BB is run by MbT";
    EXPECT_EQ(m.find("SS")->in_kind_partner, "") << "South Sudan: '-' (HNTPO presence only)";
    EXPECT_EQ(m.find("XK")->specialists, std::vector<std::string>{"SMS"});
    EXPECT_EQ(m.find("GN"), nullptr) << "Guinea is not on the list";
    // 9 IOM countries, as the matrix's header says.
    int iom = 0;
    for (const char* c : {"AO", "AM", "CO", "ET", "GE", "LK", "SD", "TZ", "UG"}) iom += m.find(c)->in_kind_partner == "iom";
    EXPECT_EQ(iom, 9);
}

TEST(CountryMatrixTest, AMalformedLineIsNamedByFileAndLine) {
    auto dir = std::filesystem::temp_directory_path() / ("kh-matrix-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto path = (dir / "m.txt").string();
    std::ofstream(path) << "# header\nGE\tGeorgia\tIOM\t-\t\nSL\tSierra Leone\tCORDAID\t-\t\n";
    auto m = routing::CountryMatrix::load(path);
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find(path + ":3:"), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find("CORDAID"), std::string::npos);
    std::ofstream(path) << "GE\tGeorgia\tIOM\n";
    m = routing::CountryMatrix::load(path);
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find(path + ":1: expected 5"), std::string::npos) << m.error().message;
    std::filesystem::remove_all(dir);
}

TEST(RoutingTest, CoaReferralToIomBecomesAReferralRequestAndCoaLearnsItWasForwarded) {
    History h;
    auto& e = h.coa_referral("IOM", {"SDT", "IOM", "DTV"});
    auto ds = h.route(e);
    ASSERT_EQ(ds.size(), 2u) << dump(ds);
    const Decision* r = find(ds, "iom", "referral_request");
    ASSERT_TRUE(r) << dump(ds);
    EXPECT_EQ(r->action, Action::Send);
    EXPECT_TRUE(r->new_referral);
    EXPECT_EQ(r->new_referral_receiver, "iom");
    const Json& f = r->message.fields;
    EXPECT_EQ(f["referred_by"], "COA");
    EXPECT_EQ(f["funding"], "BZ");
    EXPECT_EQ(f["consent_given"], true);
    EXPECT_EQ(f["consent_date"], "2010-06-15");
    EXPECT_EQ(f["consent_organisations"], Json({"SDT", "IOM", "DTV"}));
    EXPECT_EQ(f["requested_services"], Json({"return_travel", "reintegration_in_kind"}));
    EXPECT_EQ(f["person"]["family_name"], "Beridze") << "filled in from what the hub knows";
    EXPECT_EQ(f["person"]["nationality"], "GE");
    EXPECT_NE(f["consent_statement"].get<std::string>().find("COA Front Office on 2010-06-15"), std::string::npos);
    EXPECT_FALSE(f.contains("need_medical_escort"));
    const Decision* s = find(ds, "coa", "referral_status");
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->about_new_referral) << "the core puts the new id in kenmerkSDT";
    EXPECT_EQ(s->message.fields["status"], "received");
    EXPECT_EQ(s->message.fields["coa_number"], "30415522");
    EXPECT_EQ(s->message.fields["referral_number"], e.event.fields["referral_number"].value);
}

TEST(RoutingTest, AYoungAdultToSierraLeoneGoesToBeyondBordersWithTheNeedsMbtNeeds) {
    History h;
    h.pc.person.country_of_return = "SL";
    h.pc.person.nationality = "SL";
    auto& e = h.coa_referral("MBT", {"SDT", "MBT", "HNTPO", "VWN", "DTV"},
                             {{"need_psychosocial", true}, {"need_young_adult", true}, {"need_medical", false}});
    e.event.fields["reason"] = {Json("Wil psychosociale ondersteuning."), Sensitivity::SpecialCategory};
    auto ds = h.route(e);
    const Decision* r = find(ds, "mbt", "referral_request");
    ASSERT_TRUE(r) << dump(ds);
    EXPECT_EQ(r->message.fields["project_suggestion"], "BB");
    EXPECT_EQ(r->message.fields["needs"], Json({"psychosocial", "young_adult"}));
    EXPECT_EQ(r->message.fields["referral_date"], "2010-06-16");
    EXPECT_EQ(r->message.fields["remarks"].get<std::string>().find("psychosoc"), std::string::npos)
        << "COA's free-text reason (special-category) is not copied";
    EXPECT_FALSE(find(ds, "vwn")) << "not a VWN client: no feedback";
}

TEST(RoutingTest, AVwnClientWhoseConsentNamesVwnGetsFeedbackThatSheWasReferred) {
    History h;
    h.pc.person.country_of_return = "SL";
    h.pc.partner_ids.push_back({"vwn", "VWN-UT-004512"});
    h.add("vwn", "front_office_registration", "2010-06-02",
          {{"office", "Utrecht"}, {"consent_given", true}, {"consent_date", "2010-06-02"},
           {"consent_organisations", Json({"SDT", "COA", "MBT", "HNTPO", "DTV"})}},
          "UT-2010-004530");
    // The registration itself was referred to MbT already.
    h.referral("SDT-2010-000131", "mbt", "sent", "vwn", "UT-2010-004530");
    auto& e = h.coa_referral("MBT", {"SDT", "MBT", "HNTPO", "VWN", "DTV"});
    auto ds = h.route(e);
    EXPECT_FALSE(std::any_of(ds.begin(), ds.end(), [](auto& d) { return d.new_referral; })) << "no second referral";
    const Decision* s = find(ds, "coa", "referral_status");
    ASSERT_TRUE(s) << dump(ds);
    EXPECT_EQ(s->message.fields["hub_referral_id"], "SDT-2010-000131");
    EXPECT_EQ(s->message.fields["status"], "received");
    const Decision* v = find(ds, "vwn", "feedback");
    ASSERT_TRUE(v) << dump(ds);
    EXPECT_EQ(v->message.fields["outcome"], "referred");
    EXPECT_EQ(v->message.fields["referred_to"], "MBT");
    EXPECT_EQ(v->message.fields["in_reply_to"], "UT-2010-004530");
    EXPECT_EQ(v->message.fields["vwn_client_number"], "VWN-UT-004512");
    EXPECT_EQ(v->message.fields["office"], "Utrecht");
    EXPECT_EQ(v->message.fields["consent_date"], "2010-06-15") << "the COA consent, the one naming VWN";
    EXPECT_EQ(v->message.fields["date"], "2010-06-16") << "when the hub made the referral";
    EXPECT_EQ(v->dedupe_key, "vwn-feedback:referred:vwn:UT-2010-004530");
}

TEST(RoutingTest, ReferralsToOrganisationsWithoutAnInterfaceAreForManualFollowUp) {
    History h;
    h.pc.person.country_of_return = "XK";
    for (const char* org : {"SMS", "HNTPO", "NIDOS", "PHAROS", "VWN"}) {
        auto& e = h.coa_referral(org, {"SDT", org});
        auto ds = h.route(e);
        ASSERT_EQ(ds.size(), 1u) << org << "\n" << dump(ds);
        EXPECT_EQ(ds[0].action, Action::ManualFollowUp);
        EXPECT_EQ(ds[0].partner, org);
        EXPECT_NE(ds[0].reason.find("follow up by hand"), std::string::npos);
    }
}

TEST(RoutingTest, AVwnRegistrationGoesToTheMatrixPartnerOnlyWithItsOwnConsent) {
    History h;
    h.pc.person.country_of_return = "CD";
    h.pc.partner_ids.push_back({"vwn", "VWN-AM-000871"});
    std::map<std::string, Json> f{{"office", "Amsterdam"}, {"desired_country_of_return", "CD"},
                                  {"consent_given", false}, {"consent_date", "2010-10-01"},
                                  {"consent_organisations", Json::array()}};
    auto ds = h.route(h.add("vwn", "front_office_registration", "2010-10-01", f));
    ASSERT_EQ(ds.size(), 1u) << dump(ds);
    EXPECT_EQ(ds[0].action, Action::Withheld);
    EXPECT_NE(ds[0].reason.find("nothing is passed on"), std::string::npos) << ds[0].reason;

    f["consent_given"] = true;
    f["consent_organisations"] = Json({"SDT", "IOM"});
    ds = h.route(h.add("vwn", "front_office_registration", "2010-10-02", f));
    ASSERT_EQ(ds.size(), 1u) << dump(ds);
    EXPECT_EQ(ds[0].action, Action::Withheld);
    EXPECT_NE(ds[0].reason.find("does not cover MBT"), std::string::npos) << ds[0].reason;

    f["consent_organisations"] = Json({"SDT", "COA", "MBT"});
    ds = h.route(h.add("vwn", "front_office_registration", "2010-10-03", f));
    const Decision* r = find(ds, "mbt", "referral_request");
    ASSERT_TRUE(r) << dump(ds);
    EXPECT_EQ(r->message.fields["referred_by"], "VWN");
    EXPECT_EQ(r->message.fields["project_suggestion"], "MBT");
    EXPECT_EQ(r->message.fields["person"]["country_of_return"], "CD");
    EXPECT_FALSE(find(ds, "vwn")) << "no consent naming VWN: no feedback";
}

TEST(RoutingTest, ADtvRequestIsReferredWithAConsentOnRecordAndAlwaysAcknowledged) {
    History h;
    std::map<std::string, Json> req{{"request_date", "2010-06-08"}, {"case_manager_id", "RV0412"},
                                    {"within_28_day_term", true}};
    auto& first = h.add("dtv", "support_request", "2010-06-08", req, "DTV-20100608-00412");
    auto ds = h.route(first);
    ASSERT_EQ(ds.size(), 2u) << dump(ds);
    EXPECT_EQ(ds[0].action, Action::Withheld);
    EXPECT_NE(ds[0].reason.find("no consent on record covers IOM"), std::string::npos) << ds[0].reason;
    const Decision* ack = find(ds, "dtv", "support_request_acknowledgement");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->message.fields["handling_organisation"], "SDT");
    EXPECT_EQ(ack->message.fields["request_reference"], "DTV-20100608-00412");
    EXPECT_EQ(ack->message.fields["v_number"], "2046718305");
    EXPECT_EQ(ack->message.fields["request_date"], "2010-06-08");
    EXPECT_EQ(ack->message.fields["handling_date"], "2010-06-16");
    EXPECT_EQ(ack->message.fields["case_manager_id"], "RV0412");
    EXPECT_FALSE(ack->message.fields.contains("hub_referral_id")) << "DT&V's format has no such field";

    // With a consent naming IOM on record (an earlier COA question's referral elsewhere).
    History h2;
    h2.add("coa", "referral", "2010-06-01",
           {{"referral_number", "FO-2010-00001"}, {"referred_to", "SMS"}, {"consent_given", true},
            {"consent_date", "2010-06-01"}, {"consent_organisations", Json({"SDT", "IOM", "DTV"})}});
    req["within_28_day_term"] = false;
    ds = h2.route(h2.add("dtv", "support_request", "2010-06-08", req, "DTV-20100608-00413"));
    const Decision* r = find(ds, "iom", "referral_request");
    ASSERT_TRUE(r) << dump(ds);
    EXPECT_EQ(r->message.fields["referred_by"], "DTV");
    EXPECT_EQ(r->message.fields["funding"], "ETF") << "the request missed the 28-day term";
    ack = find(ds, "dtv");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->message.fields["handling_organisation"], "IOM");
    EXPECT_TRUE(ack->about_new_referral);
}

TEST(RoutingTest, ARegistrationForSomeoneAlreadyReferredIsNotReferredAgain) {
    History h;
    h.referral("SDT-2010-000117", "iom", "accepted");
    auto ds = h.route(h.add("dtv", "support_request", "2010-06-20", {{"request_date", "2010-06-20"}}, "DTV-1"));
    EXPECT_FALSE(std::any_of(ds.begin(), ds.end(), [](auto& d) { return d.new_referral; })) << dump(ds);
    const Decision* ack = find(ds, "dtv");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->message.fields["handling_organisation"], "IOM");
    EXPECT_EQ(ack->message.fields["handling_date"], "2010-06-20") << "never before the request date";
}

TEST(RoutingTest, IomsAnswersMoveTheReferralAndTellCoa) {
    History h;
    h.coa_referral("IOM", {"SDT", "IOM", "DTV"});
    h.referral("SDT-2010-000117", "iom", "sent");
    auto& accepted = h.add("iom", "referral_answer", "2010-06-18", {{"answer", "accepted"}});
    accepted.event.hub_referral_id = "SDT-2010-000117";
    auto ds = h.route(accepted);
    ASSERT_EQ(ds.size(), 1u) << dump(ds);
    EXPECT_EQ(ds[0].partner, "coa");
    EXPECT_EQ(ds[0].referral_id, "SDT-2010-000117");
    EXPECT_EQ(ds[0].referral_status, "accepted");
    EXPECT_EQ(ds[0].message.fields["status"], "accepted");
    EXPECT_EQ(ds[0].message.fields["effective_at"], "2010-06-18");
    EXPECT_EQ(ds[0].message.fields["hub_referral_id"], "SDT-2010-000117");
    EXPECT_FALSE(ds[0].message.fields.contains("reason"));

    h.pc.referrals.back().status = "accepted";
    auto& departed = h.add("iom", "departure", "2010-07-20", {{"programme", "SDT"}});
    ds = h.route(departed);
    ASSERT_EQ(ds.size(), 1u) << dump(ds);
    EXPECT_EQ(ds[0].referral_status, "returned") << "no id quoted: the open referral to IOM";
    EXPECT_EQ(ds[0].message.fields["effective_at"], "2010-07-20");

    h.pc.referrals.back().status = "returned";
    auto& closed = h.add("iom", "case_closed", "2010-12-01", {{"close_reason_code", "COMPLETED"}});
    EXPECT_TRUE(h.route(closed).empty()) << "closing after a return is the normal end";
}

TEST(RoutingTest, ADeclineCarriesAReasonThatMayTravelAndTellsVwnItStopped) {
    History h;
    h.pc.partner_ids.push_back({"vwn", "VWN-UT-000001"});
    h.add("vwn", "contact", "2010-05-01", {{"office", "Utrecht"}});
    h.coa_referral("IOM", {"SDT", "IOM", "VWN"});
    h.referral("SDT-2010-000124", "iom", "sent");
    auto& declined = h.add("iom", "referral_answer", "2010-06-20", {{"answer", "declined"}, {"decline_reason_code", "CASH_AND_IN_KIND_COMBINED"}});
    declined.event.fields["decline_reason"] = {Json("Treated for a heart condition"), Sensitivity::SpecialCategory};
    declined.event.hub_referral_id = "SDT-2010-000124";
    auto ds = h.route(declined);
    const Decision* c = find(ds, "coa");
    ASSERT_TRUE(c) << dump(ds);
    EXPECT_EQ(c->message.fields["status"], "declined");
    EXPECT_EQ(c->message.fields["reason"], "IOM reason code CASH_AND_IN_KIND_COMBINED.")
        << "the special-category text never reaches COA";
    const Decision* v = find(ds, "vwn");
    ASSERT_TRUE(v) << dump(ds);
    EXPECT_EQ(v->message.fields["outcome"], "stopped");
    EXPECT_EQ(v->message.fields["reason"], "IOM reason code CASH_AND_IN_KIND_COMBINED.");
    EXPECT_EQ(v->referral_status, "declined");
}

TEST(RoutingTest, CashDeparturesAndTerminalReferralsChangeNothing) {
    History h;
    h.referral("SDT-2010-000124", "iom", "declined");
    EXPECT_TRUE(h.route(h.add("iom", "departure", "2010-07-01", {{"programme", "HRT"}})).empty());
    auto& late = h.add("iom", "referral_answer", "2010-07-02", {{"answer", "accepted"}});
    late.event.hub_referral_id = "SDT-2010-000124";
    EXPECT_TRUE(h.route(late).empty()) << "a declined referral is not accepted afterwards";
}

TEST(RoutingTest, MbtRegistrationAcceptsAndDroppingOutStopsAndCancelsIom) {
    History h;
    h.referral("SDT-2010-000153", "mbt", "sent", "vwn", "x");
    h.referral("SDT-2010-000152", "iom", "sent", "dtv", "y");
    auto& reg = h.add("mbt", "registration", "2010-06-25", {{"step_code", "AANMELDING"}});
    reg.event.hub_referral_id = "SDT-2010-000153";
    auto ds = h.route(reg);
    ASSERT_EQ(ds.size(), 1u) << dump(ds);
    EXPECT_EQ(ds[0].action, Action::Record) << "nobody to tell: neither COA nor VWN referred";
    EXPECT_EQ(ds[0].referral_status, "accepted");

    h.pc.referrals[0].status = "accepted";
    ds = h.route(h.add("mbt", "dropped_out", "2010-07-06", {{"step_code", "AFGEHAAKT"}, {"reason", "Ziet af van terugkeer"}}));
    ASSERT_EQ(ds.size(), 2u) << dump(ds);
    EXPECT_EQ(ds[0].referral_id, "SDT-2010-000153");
    EXPECT_EQ(ds[0].referral_status, "stopped");
    const Decision* cancel = find(ds, "iom", "referral_cancellation");
    ASSERT_TRUE(cancel);
    EXPECT_EQ(cancel->referral_status, "cancelled");
    EXPECT_EQ(cancel->message.fields["reason_code"], "beneficiary_withdrew");
    EXPECT_EQ(cancel->message.fields["cancelled_on"], "2010-07-06");
    EXPECT_EQ(cancel->message.fields["hub_referral_id"], "SDT-2010-000152");
}

TEST(RoutingTest, AnAnswerToAReferralTheHubDidNotMakeIsNotedNotGuessed) {
    History h;
    h.referral("SDT-2010-000001", "iom", "sent");
    auto& a = h.add("iom", "referral_answer", "2010-06-18", {{"answer", "accepted"}});
    a.event.hub_referral_id = "SDT-2010-000117";
    auto ds = h.route(a);
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(ds[0].action, Action::Withheld);
    EXPECT_NE(ds[0].reason.find("SDT-2010-000117"), std::string::npos);
}

TEST(RoutingTest, CountriesWithoutABackOfficePartnerAreWithheldAndSouthSudanCountsAsSudan) {
    History h;
    h.pc.person.country_of_return = "GN";
    auto ds = h.route(h.add("vwn", "front_office_registration", "2010-06-01",
                            {{"office", "Utrecht"}, {"consent_given", true}, {"consent_date", "2010-06-01"},
                             {"consent_organisations", Json({"IOM", "MBT"})}}));
    ASSERT_EQ(ds.size(), 1u) << dump(ds);
    EXPECT_EQ(ds[0].action, Action::Withheld);
    EXPECT_NE(ds[0].reason.find("GN is not in the country matrix"), std::string::npos) << ds[0].reason;

    History s;
    s.pc.person.country_of_return = "SS";
    ds = s.route(s.add("vwn", "front_office_registration", "2010-06-01",
                       {{"office", "Utrecht"}, {"consent_given", true}, {"consent_date", "2010-06-01"},
                        {"consent_organisations", Json({"IOM", "MBT"})}}));
    const Decision* r = find(ds, "iom", "referral_request");
    ASSERT_TRUE(r) << dump(ds);
    EXPECT_EQ(r->message.fields["person"]["country_of_return"], "SD");
}

TEST(RoutingTest, ARefusalWithdrawsEarlierConsentOfTheSamePartnerOnly) {
    History h;
    h.add("coa", "referral", "2010-06-01",
          {{"referral_number", "FO-1"}, {"referred_to", "SMS"}, {"consent_given", true}, {"consent_date", "2010-06-01"},
           {"consent_organisations", Json({"IOM"})}});
    h.add("vwn", "front_office_registration", "2010-06-02",
          {{"office", "U"}, {"consent_given", false}, {"consent_date", "2010-06-02"}, {"consent_organisations", Json::array()}});
    auto ds = h.route(h.add("dtv", "support_request", "2010-06-08", {{"request_date", "2010-06-08"}}, "DTV-2"));
    EXPECT_TRUE(find(ds, "iom", "referral_request")) << "VWN's refusal does not withdraw COA's consent\n" << dump(ds);
}

TEST(RoutingTest, RoutingTheSameEventTwiceGivesTheSameDecisions) {
    History h;
    auto& e = h.coa_referral("IOM", {"SDT", "IOM"});
    auto a = h.route(e), b = h.route(e);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].dedupe_key, b[i].dedupe_key);
        EXPECT_EQ(a[i].message.fields, b[i].message.fields);
    }
    EXPECT_EQ(a[0].dedupe_key, "referral:coa:" + e.record_id);
}

TEST(RoutingTest, OnlyEventsThatCanLeadSomewhereAreRouted) {
    sdk::Event e;
    e.source.partner = "vwn";
    for (const char* t : {"contact", "helpdesk_question", "monitoring_visit", "intake", "country_list", "registration"}) {
        e.type = t;
        EXPECT_FALSE(routing::may_route(e)) << t;
    }
    e.type = "registration";
    e.hub_referral_id = "SDT-2010-000001";
    EXPECT_TRUE(routing::may_route(e));
    e.type = "departure";
    e.source.partner = "dtv";
    EXPECT_FALSE(routing::may_route(e)) << "DT&V's registered departure answers no referral";
    e.source.partner = "iom";
    EXPECT_TRUE(routing::may_route(e));
}

// Routing reads only events of these types whole (Store::events_after), so a
// type that may_route accepts must be among them, or its events would never
// be routed.
TEST(RoutingTest, EveryTypeThatMayBeRoutedIsReadWhole) {
    namespace et = sdk::event_type;
    int routable = 0;
    for (const char* t : {et::kHelpdeskQuestion, et::kReferral, et::kReferralAnswer, et::kContact,
                          et::kFrontOfficeRegistration, et::kSupportRequest, et::kVoluntaryReturnDeclaration,
                          et::kRegistration, et::kTravelDocumentRequested, et::kDeparture, et::kArrival, et::kIntake,
                          et::kReintegrationPlan, et::kMonitoringVisit, et::kCaseClosed, et::kDroppedOut,
                          et::kCountryList}) {
        sdk::Event e;
        e.type = t;
        e.source.partner = "iom";
        e.hub_referral_id = "SDT-2010-000001";  // the most a registration can carry
        if (routing::may_route(e)) {
            ++routable;
            EXPECT_TRUE(routing::may_route_type(t)) << t;
        }
    }
    EXPECT_EQ(routable, 8);
    EXPECT_FALSE(routing::may_route_type(et::kContact));
    EXPECT_FALSE(routing::may_route_type(et::kMonitoringVisit));
}
