#pragma once
// An HTTP request as handlers see it, and the response they give.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatops::http {

using Headers = std::vector<std::pair<std::string, std::string>>;  // as received, in order

struct Request {
  std::string method;  // upper case, e.g. "POST"
  std::string target;  // as sent, e.g. "/hooks/github?x=1"
  std::string path;    // the target up to '?', e.g. "/hooks/github"
  std::string query;   // after '?', without it; "" when none
  Headers headers;
  std::string body;    // raw bytes, chunked coding removed
  std::string remote;  // the client's address, e.g. "127.0.0.1"
  std::chrono::system_clock::time_point received = std::chrono::system_clock::now();
  // True while the body has not been read yet: handlers checking the head (credentials that need
  // no body, the presence of a signature) see the request in this state first.
  bool head_only = false;

  // Case-insensitive; the first one when repeated; nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  Headers headers;  // extra ones (Retry-After, Allow, …)

  // A JSON body (already serialised) with its content type.
  static Response json(int status, std::string body);
};

// "OK", "Not Found", … ("Unknown" for a code without one).
std::string_view reason_phrase(int status);

// `s` without leading and trailing spaces and tabs (header values and the items in them).
std::string_view trim(std::string_view s);

}  // namespace chatops::http
