#pragma once
// TLS for the IRC connection and the HTTP server, and the few other things that need OpenSSL (a
// certificate's public key, SASL's ECDSA keys), from the openssl module (chatops-openssl.so). It
// is loaded only when one of them is configured: a bot on plain TCP never maps libssl and
// libcrypto, which cost 1.7 MiB resident as soon as they are loaded (bench/README.md).
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <asio.hpp>

#include "core/error.hpp"

namespace chatops::tls {

// A TLS session over a TCP socket. Its operations complete on the socket's io_context, one read
// and one write at a time, as asio's own streams.
class Stream {
 public:
  using Done = std::function<void(const std::error_code&)>;
  using Transferred = std::function<void(const std::error_code&, std::size_t)>;
  virtual ~Stream() = default;

  virtual asio::ip::tcp::socket& socket() = 0;  // the TCP socket under it (connect, close)
  virtual void handshake(Done done) = 0;
  virtual void read_some(asio::mutable_buffer buffer, Transferred done) = 0;
  // Writes all of `buffers`, which must stay valid until `done`.
  virtual void write(std::span<const asio::const_buffer> buffers, Transferred done) = 0;
  virtual void shutdown(Done done) = 0;  // TLS's own end (close_notify)
  // The peer's certificate (DER), once the handshake is done; empty without one.
  virtual std::string peer_certificate() = 0;
};

// Certificates, keys and settings shared by the streams made from it.
class Context {
 public:
  virtual ~Context() = default;
  virtual Result<std::unique_ptr<Stream>> stream(asio::ip::tcp::socket socket) = 0;
};

struct ClientOptions {
  std::string host;         // SNI (when it is a name) and the name the certificate must carry
  bool verify = true;       // the chain (ca_file, or the system's store) and the host name
  bool pinned = false;      // nothing verified by TLS: the caller compares peer_certificate()
  std::string ca_file;      // empty: the system's store
  std::string client_cert;  // PEM chain; empty: none
  std::string client_key;   // PEM key; empty: in client_cert
};

struct ServerOptions {
  std::string cert_file, key_file;  // PEM
};

// The module's table (chatops_module_openssl).
struct Module {
  Result<std::unique_ptr<Context>> (*client_context)(const ClientOptions& options);
  Result<std::unique_ptr<Context>> (*server_context)(const ServerOptions& options);
  // The DER SubjectPublicKeyInfo of a DER certificate; nullopt when it is not one.
  std::optional<std::string> (*public_key_of)(std::string_view certificate_der);
  // Whether `pem_file` holds a NIST P-256 private key; the error names the file, never its content.
  Result<void> (*check_ecdsa_key)(const std::string& pem_file);
  // The DER ECDSA signature of `data` itself (no digest), with the P-256 key of `pem_file`.
  Result<std::string> (*sign_ecdsa)(const std::string& pem_file, std::string_view data);
};

// The openssl module's table; the error names every path tried.
Result<const Module*> load_module();

}  // namespace chatops::tls
