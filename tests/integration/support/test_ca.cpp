#include "tests/integration/support/test_ca.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace chatops::test {
namespace fs = std::filesystem;

namespace {

struct Free {
  void operator()(X509* x) const { X509_free(x); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(BIO* b) const { BIO_free(b); }
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TestCa: ") + what + " failed");
}

Ptr<EVP_PKEY> new_key() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

// An unsigned certificate for key, issued by issuer (self-issued when null).
Ptr<X509> make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, long not_before = -86400,
                    long not_after = 10L * 86400) {
  Ptr<X509> cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  check(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");
}

void write_pem(const fs::path& file, X509* cert, EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new_file(file.c_str(), "w"));
  check(bio != nullptr, "BIO_new_file");
  if (cert) check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  if (key)
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  bio.reset();
  ::chmod(file.c_str(), 0644);
}

}  // namespace

TestCa::TestCa(fs::path dir, std::string common_name) : dir_(std::move(dir)) {
  fs::create_directories(dir_);
  Ptr<EVP_PKEY> key = new_key();
  Ptr<X509> cert = make_cert(key.get(), common_name, nullptr);
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign(cert.get(), key.get());
  ca_cert_ = dir_ / "ca.pem";
  write_pem(ca_cert_, cert.get(), nullptr);
  write_pem(dir_ / "ca.key", nullptr, key.get());
  ca_key_ = key.release();
  ca_x509_ = cert.release();
}

TestCa::~TestCa() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(ca_key_));
  X509_free(static_cast<X509*>(ca_x509_));
}

CertFiles TestCa::issue_server(const std::string& name, const std::vector<std::string>& dns,
                               const std::vector<std::string>& ips) const {
  std::string san;
  for (const auto& d : dns) san += (san.empty() ? "" : ",") + ("DNS:" + d);
  for (const auto& ip : ips) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  return issue(name, dns.empty() ? name : dns.front(), san, true);
}

CertFiles TestCa::issue_client(const std::string& name) const { return issue(name, name, "", false); }

CertFiles TestCa::issue(const std::string& name, const std::string& cn, const std::string& san,
                        bool server) const {
  auto* ca_x509 = static_cast<X509*>(ca_x509_);
  auto* ca_key = static_cast<EVP_PKEY*>(ca_key_);
  Ptr<EVP_PKEY> key = new_key();
  Ptr<X509> cert = make_cert(key.get(), cn, ca_x509);
  add_ext(cert.get(), ca_x509, NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca_x509, NID_key_usage, "critical,digitalSignature,keyAgreement");
  add_ext(cert.get(), ca_x509, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
  add_ext(cert.get(), ca_x509, NID_authority_key_identifier, "keyid");
  if (!san.empty()) add_ext(cert.get(), ca_x509, NID_subject_alt_name, san);
  sign(cert.get(), ca_key);
  CertFiles files{dir_ / (name + ".pem"), dir_ / (name + ".key"), dir_ / (name + ".combined.pem")};
  write_pem(files.cert, cert.get(), nullptr);
  write_pem(files.key, nullptr, key.get());
  write_pem(files.combined, cert.get(), key.get());
  return files;
}

const char* dh_params_pem() {
  return
    "-----BEGIN DH PARAMETERS-----\n"
    "MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n"
    "+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n"
    "87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n"
    "YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n"
    "7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n"
    "ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==\n"
    "-----END DH PARAMETERS-----\n";
}

std::string cert_fingerprint(const fs::path& pem, std::string_view algorithm) {
  Ptr<BIO> bio(BIO_new_file(pem.c_str(), "r"));
  check(bio != nullptr, "open certificate");
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  check(cert != nullptr, "PEM_read_bio_X509");
  const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  check(X509_digest(cert.get(), md, digest, &len) == 1, "X509_digest");
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

CertFiles expired_self_signed(const fs::path& dir, const std::string& name) {
  Ptr<EVP_PKEY> key = new_key();
  Ptr<X509> cert = make_cert(key.get(), name, nullptr, -30L * 86400, -86400);
  sign(cert.get(), key.get());
  CertFiles files{dir / (name + ".pem"), dir / (name + ".key"), dir / (name + ".combined.pem")};
  write_pem(files.cert, cert.get(), nullptr);
  write_pem(files.key, nullptr, key.get());
  write_pem(files.combined, cert.get(), key.get());
  return files;
}

}  // namespace chatops::test
