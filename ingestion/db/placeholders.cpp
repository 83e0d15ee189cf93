#include "ingestion/db/placeholders.hpp"

namespace chatops::ingestion::db {

namespace {

bool identifier_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool identifier_char(char c) { return identifier_start(c) || (c >= '0' && c <= '9'); }

// Copies the query, skipping over what cannot hold a placeholder, and replaces the placeholders.
class Rewriter {
 public:
  Rewriter(std::string_view query, Dialect dialect) : q_(query), dialect_(dialect) {}

  RewrittenQuery run() {
    while (i_ < q_.size()) {
      const char c = q_[i_];
      const char next = i_ + 1 < q_.size() ? q_[i_ + 1] : '\0';
      if (c == '\'') {
        quoted('\'', backslash_escapes() || (dialect_ == Dialect::PostgreSQL && escape_string_prefix()));
      } else if (c == '"') {
        quoted('"', dialect_ == Dialect::MariaDB);
      } else if (c == '`' && dialect_ != Dialect::PostgreSQL) {
        quoted('`', false);
      } else if (c == '[' && dialect_ == Dialect::SQLite) {
        copy_through("]");
      } else if ((c == '-' && next == '-') || (c == '#' && dialect_ == Dialect::MariaDB)) {
        copy_through("\n");
      } else if (c == '/' && next == '*') {
        copy(2);
        copy_through("*/");
      } else if (c == '$' && dialect_ == Dialect::PostgreSQL && dollar_quote()) {
      } else if (c == ':' && next == ':') {
        copy(2);  // a cast
      } else if (c == ':' && placeholder("last", Parameter::Last)) {
      } else if (c == ':' && placeholder("limit", Parameter::Limit)) {
      } else {
        copy(1);
      }
    }
    return {std::move(out_), std::move(parameters_)};
  }
  bool saw(Parameter p) const { return p == Parameter::Last ? seen_last_ : seen_limit_; }

 private:
  bool backslash_escapes() const { return dialect_ == Dialect::MariaDB; }
  bool escape_string_prefix() const {
    return i_ > 0 && (q_[i_ - 1] == 'E' || q_[i_ - 1] == 'e') && (i_ < 2 || !identifier_char(q_[i_ - 2]));
  }

  void copy(std::size_t n) {
    n = std::min(n, q_.size() - i_);
    out_.append(q_.substr(i_, n));
    i_ += n;
  }

  // From the opening quote to the closing one (a doubled quote is one inside).
  void quoted(char quote, bool backslash) {
    copy(1);
    while (i_ < q_.size()) {
      const char c = q_[i_];
      if (backslash && c == '\\') {
        copy(2);
      } else if (c == quote) {
        copy(1);
        if (i_ < q_.size() && q_[i_] == quote) copy(1);
        else return;
      } else {
        copy(1);
      }
    }
  }

  void copy_through(std::string_view end) {
    const auto at = q_.find(end, i_);
    copy(at == std::string_view::npos ? q_.size() - i_ : at + end.size() - i_);
  }

  // $tag$ … $tag$ (the tag may be empty); not a parameter like $1, nor inside an identifier.
  bool dollar_quote() {
    if (i_ > 0 && identifier_char(q_[i_ - 1])) return false;
    std::size_t j = i_ + 1;
    if (j < q_.size() && identifier_start(q_[j]))
      while (j < q_.size() && identifier_char(q_[j])) ++j;
    if (j >= q_.size() || q_[j] != '$') return false;
    const std::string_view tag = q_.substr(i_, j + 1 - i_);
    const auto end = q_.find(tag, j + 1);
    copy(end == std::string_view::npos ? q_.size() - i_ : end + tag.size() - i_);
    return true;
  }

  bool placeholder(std::string_view name, Parameter p) {
    if (q_.substr(i_ + 1, name.size()) != name) return false;
    const std::size_t after = i_ + 1 + name.size();
    if (after < q_.size() && identifier_char(q_[after])) return false;  // :lastname
    if (dialect_ == Dialect::PostgreSQL) {
      out_ += p == Parameter::Last ? "$1" : "$2";
      if (parameters_.empty()) parameters_ = {Parameter::Last, Parameter::Limit};
    } else {
      out_ += '?';
      parameters_.push_back(p);
    }
    (p == Parameter::Last ? seen_last_ : seen_limit_) = true;
    i_ = after;
    return true;
  }

  std::string_view q_;
  Dialect dialect_;
  std::size_t i_ = 0;
  std::string out_;
  std::vector<Parameter> parameters_;
  bool seen_last_ = false, seen_limit_ = false;
};

}  // namespace

Result<RewrittenQuery> rewrite_placeholders(std::string_view query, Dialect dialect) {
  Rewriter rewriter(query, dialect);
  auto rewritten = rewriter.run();
  if (!rewriter.saw(Parameter::Last))
    return fail("the query must compare the tracking column with :last, e.g. "
                "\"SELECT … WHERE id > :last ORDER BY id LIMIT :limit\"");
  if (!rewriter.saw(Parameter::Limit))
    return fail("the query must end with LIMIT :limit (the row cap, max_rows), e.g. "
                "\"SELECT … WHERE id > :last ORDER BY id LIMIT :limit\"");
  return rewritten;
}

}  // namespace chatops::ingestion::db
