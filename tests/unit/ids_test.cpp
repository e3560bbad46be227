#include "common/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>
#include <vector>

using namespace ketenhub;

TEST(Ids, TimeOrderedUuidsAreVersion7AndSortInTheOrderTheyWereMade) {
    const std::regex v7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::string previous = time_ordered_uuid();
    std::set<std::string> seen{previous};
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const std::string id = time_ordered_uuid();
        EXPECT_TRUE(std::regex_match(id, v7)) << id;
        EXPECT_LT(previous, id) << "an id made later sorts earlier";
        previous = id;
        seen.insert(id);
    }
    for (int i = 0; i < 10000; ++i) seen.insert(time_ordered_uuid());  // same millisecond: the random bits differ
    EXPECT_EQ(seen.size(), 10006u);
}

TEST(Ids, TheTimeInAVersion7UuidIsNow) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string id = time_ordered_uuid();
    const long long stamped = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    EXPECT_GE(stamped, ms);
    EXPECT_LE(stamped, ms + 1000);
}

TEST(Ids, RandomUuidsAreVersion4) {
    const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string id = random_uuid();
        ASSERT_TRUE(std::regex_match(id, v4)) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

TEST(Ids, UuidsMadeOnManyThreadsAtOnceAreAllDifferent) {
    // Each thread draws from its own pool of random bytes: no two pools may
    // hand out the same bytes.
    constexpr int kThreads = 8, kEach = 2000;
    std::vector<std::vector<std::string>> made(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) made[t].push_back(i % 2 ? random_uuid() : time_ordered_uuid());
        });
    for (auto& t : threads) t.join();
    std::set<std::string> seen;
    std::set<std::string> random_parts;
    for (const auto& ids : made)
        for (const auto& id : ids) {
            seen.insert(id);
            random_parts.insert(id.substr(24));  // the last 48 bits are random in both versions
        }
    EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kEach));
    EXPECT_EQ(random_parts.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(Ids, Sha256HexIsTheStandardDigest) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
