#include "freshlane/core/crypto.hpp"

#include <gtest/gtest.h>

using namespace freshlane::core;

TEST(Hmac, MatchesRfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sha256, MatchesKnownDigest) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret1"));
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    const auto decoded = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, bytes);
    bytes.push_back(static_cast<char>(n * 37));
  }
}

TEST(Base64Url, RejectsForeignCharactersAndNonCanonicalText) {
  EXPECT_FALSE(base64url_decode("ab+c"));
  EXPECT_FALSE(base64url_decode("ab=="));
  EXPECT_FALSE(base64url_decode("a"));
  EXPECT_FALSE(base64url_decode("AB"));  // leftover bits not zero
  EXPECT_TRUE(base64url_decode("AA"));
}

TEST(RandomBytes, AreRandom) { EXPECT_NE(random_bytes(16), random_bytes(16)); }

TEST(FromHex, DecodesEitherCaseAndRejectsTheRest) {
  EXPECT_EQ(from_hex("00ff7F"), std::string("\x00\xff\x7f", 3));
  EXPECT_EQ(from_hex(""), std::string());
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
}

TEST(SaltedCodeHash, IsSha256OfSaltThenCode) {
  // What PostgreSQL's sha256(salt || convert_to(code, 'UTF8')) gives in migration 0007.
  EXPECT_EQ(salted_code_hash("a", "bc"), sha256("abc"));
}

TEST(HandoverCode, SixDigitsTheSameOnEveryReadAndUnderEveryProcessOfTheFleet) {
  const auto key = HandoverCodeKey::from_secret("fleet-secret-0123456789");
  const std::string code = key.code_of("ord_abc");
  ASSERT_EQ(code.size(), 6u);
  EXPECT_EQ(code.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(code, HandoverCodeKey::from_secret("fleet-secret-0123456789").code_of("ord_abc"));
  // Not the secret's own HMAC (the secret signs QR codes; codes use a key derived apart).
  const Digest raw = hmac_sha256("fleet-secret-0123456789", "order:ord_abc");
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = n << 8 | raw[i];
  EXPECT_NE(std::stoull(code), n % 1'000'000);
}

TEST(HandoverCode, SpreadsEvenlyAndDependsOnTheKey) {
  const auto key = HandoverCodeKey::from_secret("fleet-secret-0123456789");
  const auto other = HandoverCodeKey::from_secret("other-secret-0123456789");
  std::array<int, 10> first_digit{};
  int same = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = "ord_" + std::to_string(i);
    const std::string code = key.code_of(id);
    ++first_digit[code[0] - '0'];
    same += code == other.code_of(id);
  }
  for (int count : first_digit) {
    EXPECT_GT(count, 850);
    EXPECT_LT(count, 1150);
  }
  EXPECT_LT(same, 3);  // one in a million each
  // A key of this process alone is random.
  EXPECT_NE(HandoverCodeKey().code_of("ord_1") + HandoverCodeKey().code_of("ord_2"),
            HandoverCodeKey().code_of("ord_1") + HandoverCodeKey().code_of("ord_2"));
}

TEST(HandoverCode, OpensWithTheDerivedCodeOrTheOneKeptFromBefore) {
  const auto key = HandoverCodeKey::from_secret("fleet-secret-0123456789");
  const std::string code = key.code_of("ord_1");
  const std::string other = code == "000000" ? "000001" : "000000";
  EXPECT_TRUE(key.opens("ord_1", code, std::nullopt));
  EXPECT_FALSE(key.opens("ord_1", other, std::nullopt));
  EXPECT_FALSE(key.opens("ord_1", code + "0", std::nullopt));
  EXPECT_FALSE(key.opens("ord_1", "", std::nullopt));
  if (key.code_of("ord_2") != code) {
    EXPECT_FALSE(key.opens("ord_2", code, std::nullopt));
  }
  // An order placed before 0007: its old code (kept as salted SHA-256) opens it, and so does
  // the derived one its customer's app shows now.
  const std::string salt = "0123456789abcdef";
  const KeptCodeHash kept{to_hex(reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                          to_hex(salted_code_hash(salt, "424242"))};
  EXPECT_TRUE(key.opens("ord_1", "424242", kept));
  EXPECT_TRUE(key.opens("ord_1", code, kept));
  EXPECT_EQ(key.opens("ord_1", "424243", kept), code == "424243");
  EXPECT_FALSE(key.opens("ord_1", "424242", KeptCodeHash{"not hex", kept.hash_hex}));
}
