#include "ingestion/metric/influxdb.hpp"

#include <charconv>
#include <cmath>
#include <map>

#include "ingestion/api/status.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::metric::influxdb {

namespace {

std::optional<double> number_of(payload::Value v) {
  if (v.is_double()) return v.get_double().value_unsafe();
  if (v.is_int64()) return static_cast<double>(v.get_int64().value_unsafe());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64().value_unsafe());
  if (v.is_bool()) return v.get_bool().value_unsafe() ? 1.0 : 0.0;
  return std::nullopt;
}

// One CSV record's fields (RFC 4180: "…" quoting with "" for a quote); `rest` moves past it.
std::optional<std::vector<std::string>> csv_record(std::string_view& rest) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  std::size_t i = 0;
  for (; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quoted) {
      if (c != '"') fields.back() += c;
      else if (i + 1 < rest.size() && rest[i + 1] == '"') fields.back() += '"', ++i;
      else quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  rest = i < rest.size() ? rest.substr(i + 1) : std::string_view{};
  return fields;
}

std::optional<double> csv_number(const std::string& text, const std::string& type) {
  if (type == "boolean") return text == "true" ? 1.0 : 0.0;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

SourceResult<std::vector<Sample>> parse_influxql_answer(const std::string& body) {
  auto doc = payload::parse_json(body);
  if (!doc) return std::unexpected(SourceError::transient("the answer is not JSON: " + doc.error()));
  const auto root = doc->root();
  if (const auto error = payload::text_at(root, "/error"); !error.empty())
    return std::unexpected(SourceError::configuration("InfluxDB says: " + payload::first_line(error, 200)));
  if (const auto error = payload::text_at(root, "/results/0/error"); !error.empty())
    return std::unexpected(SourceError::configuration("InfluxDB says: " + payload::first_line(error, 200)));
  const auto results = payload::find(root, "/results");
  if (!results || !results->is_array()) return std::unexpected(SourceError::transient("the answer has no results list"));
  std::vector<Sample> samples;
  const auto series = payload::find(root, "/results/0/series");
  if (!series) return samples;  // no series: no data
  if (!series->is_array()) return std::unexpected(SourceError::transient("results[0].series is not a list"));
  for (const auto s : series->get_array()) {
    const auto columns = payload::find(s, "/columns"), values = payload::find(s, "/values");
    if (!columns || !columns->is_array() || !values || !values->is_array())
      return std::unexpected(SourceError::transient("a series without columns or values"));
    std::size_t column = 0, at = 0;
    bool found = false;
    for (const auto c : columns->get_array()) {
      if (!found && c.is_string() && std::string_view(c.get_string().value_unsafe()) != "time") {
        column = at;
        found = true;
      }
      ++at;
    }
    if (!found) return std::unexpected(SourceError::configuration("a series has no column besides time"));
    Sample sample;
    if (const auto tags = payload::find(s, "/tags"); tags && tags->is_object())
      for (const auto field : tags->get_object()) sample.labels.emplace(std::string(field.key), payload::as_text(field.value));
    const auto rows = values->get_array();
    if (rows.size() == 0) continue;
    std::optional<double> value;
    for (const auto row : rows)  // the last row's, null when it has none
      if (row.is_array()) {
        const auto cell = row.at(column);
        value = cell.error() ? std::nullopt : number_of(cell.value_unsafe());
      }
    sample.value = value.value_or(std::nan(""));
    samples.push_back(std::move(sample));
  }
  return samples;
}

SourceResult<std::vector<Sample>> parse_flux_csv(std::string_view csv) {
  const auto reserved = [](const std::string& name) {
    return name.empty() || name == "result" || name == "table" || name == "_start" || name == "_stop" ||
           name == "_time" || name == "_value";
  };
  std::vector<std::string> header, types, groups, defaults;
  bool expect_header = true;  // at the start, after a blank line, and after annotations
  std::map<std::string, Sample> tables;  // result/table → its last row
  std::vector<std::string> order;
  for (std::string_view rest = csv; !rest.empty();) {
    auto record = csv_record(rest);
    if (!record) return std::unexpected(SourceError::transient("the CSV answer has an unterminated quote"));
    auto& fields = *record;
    if (fields.size() == 1 && fields[0].empty()) {  // a blank line: the next table block
      expect_header = true;
      types.clear(), groups.clear(), defaults.clear();
      continue;
    }
    if (fields[0].starts_with('#')) {
      if (fields[0] == "#datatype") types = fields;
      else if (fields[0] == "#group") groups = fields;
      else if (fields[0] == "#default") defaults = fields;
      expect_header = true;
      continue;
    }
    if (expect_header) {
      header = std::move(fields);
      expect_header = false;
      continue;
    }
    if (fields.size() != header.size())
      return std::unexpected(SourceError::transient("a CSV row has " + std::to_string(fields.size()) +
                                                    " columns, its header " + std::to_string(header.size())));
    std::map<std::string_view, std::size_t> column;
    for (std::size_t i = 0; i < header.size(); ++i) {
      column.emplace(header[i], i);
      if (fields[i].empty() && i < defaults.size()) fields[i] = defaults[i];
    }
    if (column.contains("error") && !column.contains("_value"))
      return std::unexpected(SourceError::configuration("InfluxDB says: " + payload::first_line(fields[column["error"]], 200)));
    const auto value_at = column.find("_value");
    if (value_at == column.end()) return std::unexpected(SourceError::configuration("the Flux result has no _value column"));
    const auto type = value_at->second < types.size() ? types[value_at->second] : std::string("double");
    Sample sample;
    sample.value = csv_number(fields[value_at->second], type).value_or(std::nan(""));
    // The group key's columns name the series; without a #group annotation, every column but
    // Flux's own.
    for (std::size_t i = 0; i < header.size(); ++i) {
      const bool grouped = groups.empty() ? !reserved(header[i]) : i < groups.size() && groups[i] == "true";
      if (grouped && !reserved(header[i])) sample.labels.emplace(header[i], fields[i]);
    }
    const auto table = (column.contains("result") ? fields[column["result"]] : "") + "/" +
                       (column.contains("table") ? fields[column["table"]] : "");
    if (!tables.contains(table)) order.push_back(table);
    tables[table] = std::move(sample);
  }
  std::vector<Sample> samples;
  for (const auto& key : order) samples.push_back(std::move(tables.at(key)));
  return samples;
}

api::HttpRequest query_request(const InfluxConfig& config, const std::string& query) {
  api::HttpRequest request;
  request.max_response = config.max_response;
  api::Url url = config.url;
  std::string prefix = url.path();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (config.language == Language::InfluxQL) {
    url.target = prefix + "/query";
    request.url = api::with_query(url, {{"db", config.database}, {"q", query}, {"epoch", "ms"}});
    return request;
  }
  url.target = prefix + "/api/v2/query";
  request.url = api::with_query(url, {{"org", config.org}});
  request.method = "POST";
  request.content_type = "application/json";
  request.body = nlohmann::json{{"query", query},
                                {"type", "flux"},
                                {"dialect", {{"annotations", {"group", "datatype", "default"}}, {"header", true}}}}
                     .dump();
  request.headers.emplace_back("Accept", "application/csv");
  if (!config.token.empty()) request.headers.emplace_back("Authorization", "Token " + config.token);
  return request;
}

namespace {

class InfluxProvider final : public Provider {
 public:
  InfluxProvider(InfluxConfig config, std::function<bool()> stopping)
      : config_(std::move(config)), http_(config_.tls, "chatops-bot", std::move(stopping)), auth_(config_.auth) {}

  // InfluxQL's and Flux's now() is the server's: a query names its own time range.
  SourceResult<std::vector<Sample>> query(const Check& check, TimePoint,
                                          std::chrono::steady_clock::time_point deadline) override {
    auto credentials = auth_.credentials(http_, deadline);
    if (!credentials) return std::unexpected(credentials.error());
    auto request = query_request(config_, check.query);
    request.headers.insert(request.headers.begin(), credentials->headers.begin(), credentials->headers.end());
    request.url = api::with_query(request.url, credentials->query);
    auto answer = http_.send(request, deadline);
    if (!answer) return std::unexpected(answer.error());
    // InfluxDB explains a bad query (400) in its body.
    if (answer->status == 400) {
      if (config_.language == Language::InfluxQL) return parse_influxql_answer(answer->body);
      const auto doc = payload::parse_json(answer->body);
      const auto message = doc ? payload::text_at(doc->root(), "/message") : std::string("HTTP 400");
      return std::unexpected(SourceError::configuration("InfluxDB says: " + payload::first_line(message, 200)));
    }
    if (auto refused = api::refusal(*answer, request.url.display())) return std::unexpected(*refused);
    return config_.language == Language::InfluxQL ? parse_influxql_answer(answer->body) : parse_flux_csv(answer->body);
  }

  std::string link(const Check&) const override { return ""; }
  void interrupt() override { http_.interrupt(); }

 private:
  const InfluxConfig config_;
  api::HttpClient http_;
  api::Authorizer auth_;
};

}  // namespace

std::unique_ptr<Provider> make_provider(InfluxConfig config, std::function<bool()> stopping) {
  return std::make_unique<InfluxProvider>(std::move(config), std::move(stopping));
}

}  // namespace chatops::ingestion::metric::influxdb
