// A throw-away certificate authority for TLS tests (OpenSSL C API, ECDSA P-256 keys):
// server certificates with SANs, client certificates for CertFP / SASL EXTERNAL, fingerprints.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace chatops::test {

// PEM files of one issued certificate. Keys are written 0644: servers that drop privileges
// must read them, and they protect nothing.
struct CertFiles {
  std::filesystem::path cert;      // the certificate alone
  std::filesystem::path key;       // its private key (PKCS#8)
  std::filesystem::path combined;  // cert followed by key, for clients that take one file
};

class TestCa {
 public:
  // Creates <dir>/ca.pem and <dir>/ca.key (self-signed, valid from 1 day ago for 10 days).
  explicit TestCa(std::filesystem::path dir, std::string common_name = "chatops test CA");
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::filesystem::path& ca_cert() const { return ca_cert_; }

  // A server certificate <dir>/<name>.pem/.key with subjectAltName DNS:<dns...>, IP:<ips...>,
  // extendedKeyUsage serverAuth. CN is the first DNS name (or name).
  CertFiles issue_server(const std::string& name,
                         const std::vector<std::string>& dns = {"localhost"},
                         const std::vector<std::string>& ips = {"127.0.0.1"}) const;
  // A client certificate with CN=<name>, extendedKeyUsage clientAuth.
  CertFiles issue_client(const std::string& name) const;

 private:
  CertFiles issue(const std::string& name, const std::string& cn, const std::string& san,
                  bool server) const;

  std::filesystem::path dir_;
  std::filesystem::path ca_cert_;
  void* ca_key_ = nullptr;   // EVP_PKEY*
  void* ca_x509_ = nullptr;  // X509*
};

// A self-signed certificate without host names that expired yesterday (like irctest's): no CA
// and no host name check accepts it, only a pinned fingerprint can.
CertFiles expired_self_signed(const std::filesystem::path& dir, const std::string& name);

// Lower-case hex digest of the certificate's DER encoding ("sha256" or "sha512"), without
// colons: the form Atheme's CertFP and InspIRCd's sslinfo print.
std::string cert_fingerprint(const std::filesystem::path& pem, std::string_view algorithm = "sha256");

// RFC 7919 ffdhe2048 Diffie-Hellman parameters (PEM) for a server's DH file: without one,
// GnuTLS builds (ngircd) spend seconds generating parameters at start-up.
const char* dh_params_pem();

}  // namespace chatops::test
