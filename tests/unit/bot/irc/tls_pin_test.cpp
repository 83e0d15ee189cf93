#include "bot/irc/tls_pin.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sstream>

#include "core/crypto.hpp"
#include "tests/integration/support/process.hpp"
#include "tests/integration/support/test_ca.hpp"

using namespace chatops;

namespace {

std::string der_of(const std::filesystem::path& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(pem.c_str(), "r"), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  REQUIRE(cert);
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string spki_hash(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), X509_free);
  unsigned char* spki = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &spki);
  std::string out(reinterpret_cast<const char*>(spki), static_cast<std::size_t>(len));
  OPENSSL_free(spki);
  return crypto::to_hex(crypto::hash(crypto::Digest::Sha256, out));
}

}  // namespace

TEST_CASE("a certificate matches the SHA-256 of its DER or of its public key", "[irc][tls]") {
  test::TempDir dir;
  test::TestCa ca(dir.path());
  const auto server = ca.issue_server("server", {"localhost"}, {});
  const auto other = ca.issue_server("other", {"localhost"}, {});
  const auto der = der_of(server.cert);
  const auto cert_pin = test::cert_fingerprint(server.cert);
  CHECK(irc::matches_pin(der, {cert_pin}));
  CHECK(irc::matches_pin(der, {test::cert_fingerprint(other.cert), spki_hash(der)}));
  CHECK_FALSE(irc::matches_pin(der, {test::cert_fingerprint(other.cert)}));
  CHECK_FALSE(irc::matches_pin(der, {}));
  CHECK_FALSE(irc::matches_pin("not a certificate", {cert_pin}));
  CHECK_FALSE(irc::matches_pin(der.substr(0, der.size() / 2), {cert_pin}));
}
