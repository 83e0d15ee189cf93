// CSV files with a header row, through libcsv in strict mode: quoted fields, embedded delimiters,
// quotes and newlines; a stray quote, an unterminated quoted field or a row whose number of fields
// differs from the header's is an error naming its line.
#include <csv.h>

#include <memory>
#include <vector>

#include "ingestion/file/formats.hpp"

namespace chatops::ingestion::file {

namespace {

class CsvReader {
 public:
  explicit CsvReader(const ContentOptions& options) : options_(options) {}

  Content read(const std::string& text) {
    csv_parser parser{};
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) return std::unexpected(ParseError{0, "out of memory"});
    const std::unique_ptr<csv_parser, decltype(&csv_free)> owned(&parser, csv_free);
    csv_set_delim(&parser, static_cast<unsigned char>(options_.csv_delimiter));
    // Fed line by line, so that an error (and the end of each row) is known by its line.
    for (std::size_t at = 0; at < text.size() && !error_; ++line_) {
      const auto end = std::min(text.find('\n', at), text.size() - 1) + 1;
      if (csv_parse(&parser, text.data() + at, end - at, on_field, on_row, this) != end - at)
        return std::unexpected(ParseError{line_, std::string("malformed CSV: ") + csv_strerror(csv_error(&parser))});
      at = end;
    }
    if (!error_ && csv_fini(&parser, on_field, on_row, this) != 0)
      return std::unexpected(ParseError{line_ - 1, "malformed CSV: a quoted field is not closed"});
    if (error_) return std::unexpected(*error_);
    if (header_.empty()) return std::unexpected(ParseError{1, "malformed CSV: no header row"});
    return std::move(rows_);
  }

 private:
  static void on_field(void* field, std::size_t length, void* self) {
    auto& r = *static_cast<CsvReader*>(self);
    if (r.error_) return;
    if (++r.values_ > r.options_.values) {
      r.error_ = ParseError{r.line_, "CSV refused: more than " + std::to_string(r.options_.values) + " fields"};
      return;
    }
    r.row_.emplace_back(static_cast<const char*>(field), length);
  }

  static void on_row(int, void* self) {
    auto& r = *static_cast<CsvReader*>(self);
    if (r.error_) return;
    auto row = std::move(r.row_);
    r.row_.clear();
    if (r.header_.empty()) {
      for (std::size_t i = 0; i < row.size(); ++i)
        r.header_.push_back(row[i].empty() ? "column " + std::to_string(i + 1) : std::move(row[i]));
      return;
    }
    if (row.size() != r.header_.size()) {
      r.error_ = ParseError{r.line_, "malformed CSV: " + std::to_string(row.size()) + " fields, the header has " +
                                         std::to_string(r.header_.size())};
      return;
    }
    auto object = nlohmann::json::object();
    for (std::size_t i = 0; i < row.size(); ++i) object[r.header_[i]] = std::move(row[i]);
    r.rows_.push_back(std::move(object));
  }

  const ContentOptions& options_;
  std::size_t line_ = 1, values_ = 0;
  std::vector<std::string> header_, row_;
  nlohmann::json rows_ = nlohmann::json::array();
  std::optional<ParseError> error_;
};

}  // namespace

Content parse_csv_content(const std::string& text, const ContentOptions& options) {
  return CsvReader(options).read(text);
}

}  // namespace chatops::ingestion::file
