#include "ingestion/api/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace chatops::ingestion::api {

namespace {

bool printable(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return c > ' ' && c < 0x7f; });
}

int default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

}  // namespace

std::string Url::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

std::string Url::text() const {
  const bool usual = port == default_port(scheme);
  return scheme + "://" + host + (usual ? "" : ":" + std::to_string(port)) + target;
}

std::string Url::path() const { return target.substr(0, target.find('?')); }

std::string Url::display() const {
  const bool usual = port == default_port(scheme);
  return scheme + "://" + host + (usual ? "" : ":" + std::to_string(port)) + path();
}

Result<Url> parse_url(std::string_view text) {
  if (text.empty()) return fail("a URL is needed");
  if (!printable(text)) return fail("a URL is printable ASCII without spaces (percent-encode the rest)");
  Url url;
  const auto colon = text.find("://");
  if (colon == std::string_view::npos) return fail("not an absolute URL (http://… or https://…)");
  std::string scheme(text.substr(0, colon));
  std::ranges::transform(scheme, scheme.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") return fail("the scheme must be http or https");
  url.scheme = std::move(scheme);
  text.remove_prefix(colon + 3);
  if (const auto hash = text.find('#'); hash != std::string_view::npos) return fail("a URL here has no #fragment");
  const auto slash = std::min(text.find('/'), text.find('?'));
  std::string_view authority = text.substr(0, slash);
  std::string target(slash == std::string_view::npos ? "/" : text.substr(slash));
  if (target.starts_with('?')) target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials do not go in the URL: give them in auth:");
  std::string_view host = authority, port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("an IPv6 address lacks its closing ]");
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail("malformed host");
      port_text = authority.substr(close + 2);
    }
  } else if (const auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port_text = authority.substr(c + 1);
  }
  if (host.empty() || host == "[]") return fail("the URL has no host");
  url.host = std::string(host);
  url.port = default_port(url.scheme);
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
      return fail("the port must be a number from 1 to 65535");
    url.port = port;
  }
  url.target = std::move(target);
  return url;
}

std::optional<Url> resolve(const Url& base, std::string_view ref) {
  while (!ref.empty() && (ref.front() == ' ' || ref.front() == '\t')) ref.remove_prefix(1);
  while (!ref.empty() && (ref.back() == ' ' || ref.back() == '\t')) ref.remove_suffix(1);
  if (ref.empty() || !printable(ref)) return std::nullopt;
  if (const auto hash = ref.find('#'); hash != std::string_view::npos) ref = ref.substr(0, hash);
  std::string absolute;
  if (ref.find("://") != std::string_view::npos && ref.find("://") < ref.find_first_of("/?")) absolute = ref;
  else if (ref.starts_with("//")) absolute = base.scheme + ":" + std::string(ref);
  else if (ref.starts_with('/')) absolute = base.origin() + std::string(ref);
  else if (ref.starts_with('?')) absolute = base.origin() + base.path() + std::string(ref);
  else {
    const auto path = base.path();
    absolute = base.origin() + path.substr(0, path.rfind('/') + 1) + std::string(ref);
  }
  auto url = parse_url(absolute);
  if (!url) return std::nullopt;
  return *url;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Url with_query(Url url, const std::vector<std::pair<std::string, std::string>>& params) {
  for (const auto& [name, value] : params) {
    url.target += url.target.find('?') == std::string::npos ? '?' : '&';
    url.target += percent_encode(name) + "=" + percent_encode(value);
  }
  return url;
}

}  // namespace chatops::ingestion::api
