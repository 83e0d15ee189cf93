// chatops-httplib.so's one entry point: HttpClient's request through cpp-httplib's client.
#include <httplib.h>

#include "ingestion/api/http_exchange.hpp"

namespace chatops::ingestion::api {
namespace {

SourceError network_error(httplib::Error error, const Url& url) {
  const auto where = url.display();
  const auto host = url.host + ":" + std::to_string(url.port);
  switch (error) {
    case httplib::Error::Connection: return SourceError::transient("cannot connect to " + host + " (" + where + ")");
    case httplib::Error::ConnectionTimeout:
      return SourceError::transient("timed out connecting to " + host + " (" + where + ")");
    case httplib::Error::SSLConnection:
      return SourceError::transient("the TLS handshake with " + host + " failed (" + where + ")");
    case httplib::Error::SSLLoadingCerts:
      return SourceError::configuration("the CA certificates (ca_file) for " + where + " do not load");
    case httplib::Error::SSLServerVerification:
      return SourceError::configuration("the TLS certificate of " + host +
                                        " is not trusted (unknown CA, expired, or for another name): give its CA "
                                        "in ca_file (" + where + ")");
    case httplib::Error::Compression:
      return SourceError::transient("the answer from " + where + " does not decompress");
    case httplib::Error::Write: return SourceError::transient("the connection to " + where + " broke while asking");
    default: return SourceError::transient("the connection to " + where + " broke while reading its answer");
  }
}

std::optional<SourceError> exchange(HttpExchange& x) {
  const auto& request = x.request;
  httplib::Client client(request.url.origin());
  client.set_connection_timeout(x.timeout);
  client.set_read_timeout(x.timeout);
  client.set_write_timeout(x.timeout);
  client.set_keep_alive(false);
  client.set_follow_location(false);  // a redirect is reported: credentials never follow it elsewhere
  client.set_url_encode(false);       // targets are encoded already
  client.set_decompress(true);
  client.set_socket_options([&x](int socket) { x.on_socket(socket); });
  if (request.url.scheme == "https") {
    client.enable_server_certificate_verification(x.tls.verify);
    if (!x.tls.ca_file.empty()) client.set_ca_cert_path(x.tls.ca_file);
  }

  httplib::Request req;
  req.method = request.method;
  req.path = request.url.target;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  if (!req.has_header("User-Agent")) req.headers.emplace("User-Agent", x.user_agent);
  if (!req.has_header("Accept")) req.headers.emplace("Accept", "application/json");
  // Compressed answers are decompressed as they are read, and bounded after decompression.
  if (!req.has_header("Accept-Encoding")) req.headers.emplace("Accept-Encoding", "gzip, deflate");
  if (!request.body.empty()) {
    req.body = request.body;
    if (!req.has_header("Content-Type")) req.headers.emplace("Content-Type", request.content_type);
  }
  req.response_handler = [&](const httplib::Response& head) {
    // Refused from its announced length, before a byte of it is read.
    if (head.has_header("Content-Length") &&
        head.get_header_value<std::uint64_t>("Content-Length") > request.max_response)
      x.oversized = true;
    return !x.oversized;
  };
  req.content_receiver = [&](const char* data, std::size_t size, std::uint64_t, std::uint64_t) {
    if (x.answer.body.size() + size > request.max_response) {
      x.oversized = true;
      return false;
    }
    x.answer.body.append(data, size);
    return true;
  };

  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  if (!client.send(req, response, error)) return network_error(error, request.url);
  x.answer.status = response.status;
  for (const auto& [name, value] : response.headers) x.answer.headers.emplace_back(name, value);
  return std::nullopt;
}

}  // namespace
}  // namespace chatops::ingestion::api

extern "C" const chatops::ingestion::api::HttpExchangeModule* chatops_module_httplib() {
  static const chatops::ingestion::api::HttpExchangeModule module{chatops::ingestion::api::exchange};
  return &module;
}
