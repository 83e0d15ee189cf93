// The openssl module (chatops-openssl.so): TLS streams on asio::ssl, certificates' public keys and
// SASL's ECDSA keys, all on OpenSSL. What each does: core/tls/tls.hpp.
#include <memory>
#include <utility>
#include <vector>

#include <asio/ssl.hpp>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/tls/tls.hpp"

namespace chatops::tls {
namespace {

using NativeStream = asio::ssl::stream<asio::ip::tcp::socket>;

class OpenSslStream final : public Stream {
 public:
  OpenSslStream(asio::ip::tcp::socket socket, asio::ssl::context& context, asio::ssl::stream_base::handshake_type side)
      : stream_(std::move(socket), context), side_(side) {}

  NativeStream& native() { return stream_; }
  asio::ip::tcp::socket& socket() override { return stream_.next_layer(); }
  void handshake(Done done) override { stream_.async_handshake(side_, std::move(done)); }
  void read_some(asio::mutable_buffer buffer, Transferred done) override {
    stream_.async_read_some(buffer, std::move(done));
  }
  void write(std::span<const asio::const_buffer> buffers, Transferred done) override {
    asio::async_write(stream_, std::vector<asio::const_buffer>(buffers.begin(), buffers.end()), std::move(done));
  }
  void shutdown(Done done) override { stream_.async_shutdown(std::move(done)); }

  std::string peer_certificate() override {
    X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
    if (!cert) return {};
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert, &der);
    X509_free(cert);
    if (length <= 0) return {};
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return out;
  }

 private:
  NativeStream stream_;
  const asio::ssl::stream_base::handshake_type side_;
};

constexpr auto kNoOldProtocols = asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                                 asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                                 asio::ssl::context::no_tlsv1_1;

class ClientContext final : public Context {
 public:
  explicit ClientContext(ClientOptions options) : options_(std::move(options)) {}

  Result<void> load() {
    context_.set_options(kNoOldProtocols);
    std::error_code ec;
    if (options_.pinned || !options_.verify) {
      // Pinned: the caller compares the certificate with the pins once the handshake is done,
      // whatever its issuer, names or dates.
      context_.set_verify_mode(asio::ssl::verify_none);
    } else {
      context_.set_verify_mode(asio::ssl::verify_peer);
      if (options_.ca_file.empty())
        context_.set_default_verify_paths(ec);
      else
        context_.load_verify_file(options_.ca_file, ec);
      if (ec) return fail("cannot load CA certificates " + options_.ca_file + ": " + ec.message());
    }
    if (!options_.client_cert.empty()) {
      context_.use_certificate_chain_file(options_.client_cert, ec);
      if (!ec)
        context_.use_private_key_file(options_.client_key.empty() ? options_.client_cert : options_.client_key,
                                      asio::ssl::context::pem, ec);
      if (ec) return fail("cannot load the client certificate " + options_.client_cert + ": " + ec.message());
    }
    return {};
  }

  Result<std::unique_ptr<Stream>> stream(asio::ip::tcp::socket socket) override {
    auto stream = std::make_unique<OpenSslStream>(std::move(socket), context_, asio::ssl::stream_base::client);
    if (options_.verify && !options_.pinned)
      stream->native().set_verify_callback(asio::ssl::host_name_verification(options_.host));
    // SNI carries host names only, never IP literals (RFC 6066).
    std::error_code not_ip;
    asio::ip::make_address(options_.host, not_ip);
    if (not_ip && SSL_set_tlsext_host_name(stream->native().native_handle(), options_.host.c_str()) != 1)
      return fail("cannot set SNI for " + options_.host);
    return stream;
  }

 private:
  const ClientOptions options_;
  asio::ssl::context context_{asio::ssl::context::tls_client};
};

class ServerContext final : public Context {
 public:
  Result<void> load(const ServerOptions& options) {
    context_.set_options(kNoOldProtocols | asio::ssl::context::single_dh_use);
    std::error_code ec;
    context_.use_certificate_chain_file(options.cert_file, ec);
    if (ec) return fail("cannot load certificate " + options.cert_file + ": " + ec.message());
    context_.use_private_key_file(options.key_file, asio::ssl::context::pem, ec);
    if (ec) return fail("cannot load key " + options.key_file + ": " + ec.message());
    return {};
  }

  Result<std::unique_ptr<Stream>> stream(asio::ip::tcp::socket socket) override {
    return std::make_unique<OpenSslStream>(std::move(socket), context_, asio::ssl::stream_base::server);
  }

 private:
  asio::ssl::context context_{asio::ssl::context::tls_server};
};

Result<std::unique_ptr<Context>> client_context(const ClientOptions& options) {
  auto context = std::make_unique<ClientContext>(options);
  if (auto loaded = context->load(); !loaded) return std::unexpected(loaded.error());
  return context;
}

Result<std::unique_ptr<Context>> server_context(const ServerOptions& options) {
  auto context = std::make_unique<ServerContext>();
  if (auto loaded = context->load(options); !loaded) return std::unexpected(loaded.error());
  return context;
}

std::optional<std::string> public_key_of(std::string_view certificate_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(certificate_der.data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(d2i_X509(nullptr, &p, static_cast<long>(certificate_der.size())),
                                                   X509_free);
  if (!cert) return std::nullopt;
  unsigned char* spki = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &spki);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(spki), static_cast<std::size_t>(length));
  OPENSSL_free(spki);
  return out;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Result<Key> load_ecdsa_key(const std::string& pem_file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(pem_file.c_str(), "r"));
  if (!bio) return fail("cannot read the ECDSA key file " + pem_file);
  // Skips the "EC PARAMETERS" block that atheme-ecdsakeygen and openssl ecparam -genkey write first.
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(pem_file + " holds no PEM private key (or it is encrypted)");
  char group[64] = {};
  std::size_t group_len = 0;
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1")
    return fail(pem_file + " is not a NIST P-256 (prime256v1) EC key");
  return key;
}

Result<void> check_ecdsa_key(const std::string& pem_file) {
  auto key = load_ecdsa_key(pem_file);
  if (!key) return std::unexpected(key.error());
  return {};
}

Result<std::string> sign_ecdsa(const std::string& pem_file, std::string_view data) {
  auto key = load_ecdsa_key(pem_file);
  if (!key) return std::unexpected(key.error());
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(key->get(), nullptr));
  std::size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_sign(ctx.get(), nullptr, &length, bytes, data.size()) != 1)
    return fail("cannot sign with " + pem_file);
  std::string signature(length, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes, data.size()) != 1)
    return fail("cannot sign with " + pem_file);
  signature.resize(length);
  return signature;
}

}  // namespace
}  // namespace chatops::tls

extern "C" const chatops::tls::Module* chatops_module_openssl() {
  static const chatops::tls::Module module{chatops::tls::client_context, chatops::tls::server_context,
                                           chatops::tls::public_key_of, chatops::tls::check_ecdsa_key,
                                           chatops::tls::sign_ecdsa};
  return &module;
}
