// A person's trajectory derived from events of several partners.
#include "trajectory/trajectory.hpp"

#include <gtest/gtest.h>

using namespace ketenhub;

namespace {

store::StoredEvent ev(const std::string& partner, const std::string& type, const std::string& date,
                      std::map<std::string, sdk::Json> fields = {}) {
    store::StoredEvent s;
    s.partner = partner;
    s.event.type = type;
    s.event.event_date = date;
    for (auto& [k, v] : fields) s.event.fields[k] = sdk::Field{v, sdk::Sensitivity::Personal};
    return s;
}

TEST(Trajectory, PhasesFundingEligibilityAndReferralsFromSeveralPartners) {
    std::vector<store::StoredEvent> events = {
        ev("dtv", "support_request", "2010-06-08", {{"negative_ruling_date", "2010-05-27"}}),
        ev("coa", "referral", "2010-06-15",
           {{"referred_to", "IOM"}, {"referral_number", "FO-2010-00318"}, {"consent_given", true},
            {"consent_date", "2010-06-15T11:10:00+02:00"}, {"consent_organisations", sdk::Json{"SDT", "IOM"}}}),
        ev("iom", "referral_answer", "2010-06-17", {{"answer", "accepted"}, {"programme", "SDT"}}),
        ev("iom", "departure", "2010-07-20", {{"programme", "SDT"}}),
        ev("dtv", "departure", "2010-07-20"),
    };
    auto t = trajectory::derive(events);
    ASSERT_EQ(t.phases.size(), 3u);  // the two departure reports are one step
    EXPECT_EQ(t.phases[0].phase, "support_requested");
    EXPECT_EQ(t.phases[2].phase, "departed");
    EXPECT_EQ(t.support_choice, "SDT");
    EXPECT_EQ(t.funding, "BZ");
    EXPECT_EQ(t.days_after_ruling, 12);
    EXPECT_EQ(t.within_28_days, true);
    ASSERT_EQ(t.referrals.size(), 1u);
    EXPECT_EQ(t.referrals[0].status, "returned");
    ASSERT_EQ(t.consents.size(), 1u);
    EXPECT_EQ(t.consents[0].date, "2010-06-15");
    EXPECT_EQ(t.consents[0].organisations, (std::vector<std::string>{"SDT", "IOM"}));
}

TEST(Trajectory, ASwitchToCashIsTheLatestChoiceAndDay29IsTooLate) {
    std::vector<store::StoredEvent> events = {
        ev("dtv", "support_request", "2010-05-11", {{"negative_ruling_date", "2010-04-12"}}),
        ev("iom", "referral_answer", "2010-06-24", {{"answer", "declined"}, {"programme", "SDT"}}),
        ev("iom", "registration", "2010-06-24", {{"programme", "HRT"}}),
    };
    auto t = trajectory::derive(events);
    EXPECT_EQ(t.support_choice, "HRT");
    EXPECT_EQ(t.days_after_ruling, 29);
    EXPECT_EQ(t.within_28_days, false);
}

TEST(Trajectory, RetractedStepsAreNotPartOfIt) {
    auto step = ev("mbt", "intake", "2010-07-01", {{"funding", "ETF"}});
    step.retracted = true;
    auto t = trajectory::derive({step, ev("mbt", "departure", "2010-08-01", {{"funding", "ETF"}})});
    ASSERT_EQ(t.phases.size(), 1u);
    EXPECT_EQ(t.phases[0].phase, "departed");
    EXPECT_EQ(t.funding, "ETF");
    EXPECT_EQ(t.support_choice, "SDT");
}

}  // namespace
