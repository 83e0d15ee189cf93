#include "ingestion/file/file_events.hpp"

#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace chatops::ingestion::file {

namespace {

constexpr const char* kDefaultTemplate = "[{{_event.source}}] {{path}} {{change}} ({{size}} bytes)";
constexpr const char* kErrorTemplate = "[{{_event.source}}] {{path}}:{{line}}: {{error}}";

std::string iso_time(std::int64_t ns) {
  const auto tp = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ns / 1'000'000));
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", tp);
}

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

EventMaker::EventMaker(std::string source, EventOptions options)
    : prefix_("file/" + source + "/"), o_(std::move(options)) {}

IngestionEvent EventMaker::base(const FileChange& c, const std::string& topic) const {
  IngestionEvent e;
  e.topic = topic;
  e.fields["path"] = c.path;
  e.fields["file"] = base_name(c.path);
  e.fields["change"] = c.change;
  e.fields["size"] = c.size;
  e.fields["mtime"] = iso_time(c.mtime_ns);
  e.default_template = kDefaultTemplate;
  return e;
}

IngestionEvent EventMaker::deleted(const FileChange& c) const { return base(c, prefix_ + "deleted"); }

IngestionEvent EventMaker::error(const FileChange& c, std::size_t line, const std::string& why) const {
  auto e = base(c, prefix_ + "error");
  e.severity = Severity::Warning;
  e.fields["line"] = line;
  e.fields["error"] = why;
  e.default_template = kErrorTemplate;
  return e;
}

std::optional<IngestionEvent> EventMaker::mapped(const FileChange& c, const nlohmann::json& content,
                                                 std::string& why) const {
  // The mapping reads JSON: the content, whatever its format, as JSON text.
  auto doc = payload::parse_json(content.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!doc) {
    why = doc.error();
    return std::nullopt;
  }
  auto m = o_.mapping.map(doc->root(), {}, prefix_ + c.change, nullptr, payload::FieldsForm::Object);
  if (!m) {
    why = m.error().reason;
    return std::nullopt;
  }
  auto e = base(c, m->topic);
  for (auto& [key, value] : m->fields.object().items())
    if (!e.fields.contains(key)) e.fields[key] = std::move(value);
  e.fields["content"] = content;
  e.severity = m->severity;
  e.dedupe_key = std::move(m->dedupe_key);
  if (!m->default_template.empty()) e.default_template = std::move(m->default_template);
  return e;
}

std::vector<IngestionEvent> EventMaker::changed(const FileChange& c, const std::string& text) const {
  const auto format = o_.format.value_or(format_of_path(c.path));
  auto content = parse_content(text, format, o_.content);
  if (!content) return {error(c, content.error().line, content.error().message)};
  std::vector<IngestionEvent> out;
  std::string why;
  if (format == Format::Csv && o_.csv_row_events) {
    const auto rows = content->size();
    for (std::size_t i = 0; i < rows; ++i) {
      auto e = mapped(c, (*content)[i], why);
      if (!e) return {error(c, 0, "row " + std::to_string(i + 1) + ": " + why)};
      e->fields["row"] = i + 1;
      e->fields["rows"] = rows;
      out.push_back(std::move(*e));
    }
    return out;
  }
  auto e = mapped(c, *content, why);
  if (!e) return {error(c, 0, why)};
  if (format == Format::Json) e->raw = text;
  out.push_back(std::move(*e));
  return out;
}

}  // namespace chatops::ingestion::file
