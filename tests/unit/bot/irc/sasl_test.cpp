#include "bot/irc/sasl.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bot/irc/ecdsa_challenge.hpp"
#include "bot/irc/scram.hpp"
#include "core/crypto.hpp"
#include "tests/integration/support/process.hpp"

using namespace chatops;
using namespace chatops::irc;

namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramSha256Exchange rfc_exchange() { return ScramSha256Exchange("user", "pencil", std::string(kClientNonce)); }

}  // namespace

TEST_CASE("SCRAM-SHA-256: the RFC 7677 example, byte for byte", "[irc][sasl][scram]") {
  auto scram = rfc_exchange();
  CHECK(scram.respond("") == std::string(kClientFirst));
  CHECK(scram.respond(kServerFirst) == std::string(kClientFinal));
  CHECK_FALSE(scram.complete());
  CHECK(scram.respond(kServerFinal) == std::string());
  CHECK(scram.complete());
  CHECK_FALSE(scram.server_refused());
  CHECK_FALSE(scram.respond("more").has_value());
}

TEST_CASE("SCRAM-SHA-256: a wrong or missing server signature is refused", "[irc][sasl][scram]") {
  for (const std::string& server_final :
       {std::string("v=") + crypto::to_base64(std::string(32, '\0')), std::string(""), std::string("AAAA"),
        std::string("v=nmMf3QHWcJQi9pMgtqKSKPrVnyI6sqNO6I7pE/0oyGc="), std::string("e=invalid-proof")}) {
    INFO(server_final);
    auto scram = rfc_exchange();
    REQUIRE(scram.respond(""));
    REQUIRE(scram.respond(kServerFirst));
    const auto r = scram.respond(server_final);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("pencil") == std::string::npos);
    CHECK_FALSE(scram.complete());
    CHECK(scram.server_refused());
  }
}

TEST_CASE("SCRAM-SHA-256: hostile server-first messages are refused", "[irc][sasl][scram]") {
  const std::string nonce(kClientNonce);
  for (const std::string& server_first : {
           std::string("r=otherNonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),  // does not extend ours
           "r=" + nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",           // adds nothing
           "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
           "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999",     // too much work
           "r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
           "r=" + nonce + "x,s=!!!,i=4096",
           "r=" + nonce + "x,i=4096",
           "m=ext,r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // mandatory extension
           std::string(""),
       }) {
    INFO(server_first);
    auto scram = rfc_exchange();
    REQUIRE(scram.respond(""));
    CHECK_FALSE(scram.respond(server_first).has_value());
    CHECK(scram.server_refused());
  }
}

TEST_CASE("SCRAM-SHA-256: ',' and '=' in the user name are escaped", "[irc][sasl][scram]") {
  ScramSha256Exchange scram("a=b,c", "pw", "nonce");
  CHECK(scram.respond("") == std::string("n,,n=a=3Db=2Cc,r=nonce"));
}

TEST_CASE("PLAIN sends authzid = authcid once, EXTERNAL sends nothing", "[irc][sasl]") {
  PlainExchange plain("jilles", "sesame");
  CHECK(plain.respond("") == std::string("jilles\0jilles\0sesame", 20));
  CHECK_FALSE(plain.respond("").has_value());
  PlainExchange challenged("jilles", "sesame");
  CHECK_FALSE(challenged.respond("unexpected").has_value());
  ExternalExchange external;
  CHECK(external.respond("") == std::string());
  CHECK_FALSE(external.respond("").has_value());
}

TEST_CASE("ECDSA-NIST256P-CHALLENGE: the account, then a signature the public key verifies", "[irc][sasl][ecdsa]") {
  test::TempDir dir;
  // A P-256 key as atheme-ecdsakeygen or `openssl ecparam -genkey` writes it.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("prime256v1"), EVP_PKEY_free);
  REQUIRE(key);
  const auto path = dir / "ecdsa.pem";
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "w"), BIO_free);
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  }
  REQUIRE(check_ecdsa_key(path.string()));

  EcdsaChallengeExchange ecdsa("jilles", path.string());
  CHECK(ecdsa.respond("") == std::string("jilles"));
  std::string challenge;
  for (int i = 0; i < 32; ++i) challenge += static_cast<char>(i);
  const auto signature = ecdsa.respond(challenge);
  REQUIRE(signature);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key.get(), nullptr), EVP_PKEY_CTX_free);
  REQUIRE(EVP_PKEY_verify_init(ctx.get()) == 1);
  CHECK(EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                        reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size()) == 1);
  CHECK_FALSE(ecdsa.respond(challenge).has_value());

  EcdsaChallengeExchange short_challenge("jilles", path.string());
  REQUIRE(short_challenge.respond(""));
  CHECK_FALSE(short_challenge.respond("too short").has_value());
}

TEST_CASE("ECDSA key files: missing, not a key, another curve", "[irc][sasl][ecdsa]") {
  test::TempDir dir;
  CHECK_FALSE(check_ecdsa_key((dir / "missing.pem").string()).has_value());
  CHECK_FALSE(check_ecdsa_key(dir.write("junk.pem", "-----BEGIN NOTHING-----\n").string()).has_value());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> p384(EVP_EC_gen("secp384r1"), EVP_PKEY_free);
  const auto path = dir / "p384.pem";
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "w"), BIO_free);
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), p384.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  }
  const auto error = check_ecdsa_key(path.string());
  REQUIRE_FALSE(error.has_value());
  CHECK_THAT(error.error().message, Catch::Contains("P-256"));
}

TEST_CASE("AuthenticateReader: '+', one chunk, several chunks, hostile input", "[irc][sasl]") {
  AuthenticateReader reader;
  CHECK(reader.feed("+") == AuthenticateReader::Status::Done);
  CHECK(reader.take().empty());
  CHECK(reader.feed(crypto::to_base64("hello")) == AuthenticateReader::Status::Done);
  CHECK(reader.take() == "hello");
  const auto encoded = crypto::to_base64(std::string(300, 'x'));  // exactly 400 characters
  CHECK(reader.feed(encoded) == AuthenticateReader::Status::More);
  CHECK(reader.feed("+") == AuthenticateReader::Status::Done);
  CHECK(reader.take() == std::string(300, 'x'));
  CHECK(reader.feed("") == AuthenticateReader::Status::Invalid);
  CHECK(reader.feed(std::string(401, 'A')) == AuthenticateReader::Status::Invalid);
  CHECK(reader.feed("@@@@") == AuthenticateReader::Status::Invalid);
  // Unbounded streams of full chunks are cut off.
  auto status = AuthenticateReader::Status::More;
  for (int i = 0; i < 100 && status == AuthenticateReader::Status::More; ++i) status = reader.feed(std::string(400, 'A'));
  CHECK(status == AuthenticateReader::Status::Invalid);
}
