#include "core/log.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace chatops::log {
namespace {

// %j: the message as the inside of a JSON string.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        fmt::format_to(std::back_inserter(dest), "\\u{:04x}", static_cast<unsigned>(c));
      } else {
        dest.push_back(c);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

}  // namespace

const std::vector<std::string>& level_names() {
  static const std::vector<std::string> names{"trace", "debug", "info", "warn", "error", "critical", "off"};
  return names;
}

void init(std::string_view level, bool json) {
  if (std::ranges::find(level_names(), level) == level_names().end())
    throw std::logic_error("unknown log level \"" + std::string(level) + "\"");
  auto logger = std::make_shared<spdlog::logger>("chatops", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (json)
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e","level":"%l","logger":"%n","message":"%j"})");
  else
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(std::move(logger));
}

std::string redact(std::string_view text, std::span<const std::string> secrets) {
  // Longest first, so that a secret containing another one is hidden whole.
  std::vector<std::string_view> ordered(secrets.begin(), secrets.end());
  std::ranges::sort(ordered, std::ranges::greater{}, &std::string_view::size);
  std::string out(text);
  for (std::string_view secret : ordered) {
    if (secret.empty()) continue;
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) out.replace(at, secret.size(), "***");
  }
  return out;
}

}  // namespace chatops::log
