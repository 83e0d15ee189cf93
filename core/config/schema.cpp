#include "core/config/schema.hpp"

#include <algorithm>
#include <stdexcept>

namespace chatops::config {

Field::Field(std::string name, Kind kind, std::string doc)
    : name_(std::move(name)), kind_(kind), doc_(std::move(doc)) {}

Field& Field::required() {
  required_ = true;
  return *this;
}

Field& Field::fallback(std::string yaml_default) {
  default_ = std::move(yaml_default);
  return *this;
}

Field& Field::range(double min, double max) {
  min_ = min;
  max_ = max;
  return *this;
}

Field& Field::one_of(std::vector<std::string> choices) {
  choices_ = std::move(choices);
  return *this;
}

Field& Field::items(const Schema& item_schema) {
  nested_ = std::make_shared<const Schema>(item_schema);
  return *this;
}

Field& Field::items(Kind scalar_kind) {
  item_kind_ = scalar_kind;
  return *this;
}

Field& Field::schema(const Schema& nested) {
  nested_ = std::make_shared<const Schema>(nested);
  return *this;
}

Field& Field::example(std::string yaml_example) {
  example_ = std::move(yaml_example);
  return *this;
}

Field& Field::allow_string_shorthand(std::string key) {
  shorthand_ = std::move(key);
  return *this;
}

Schema::Schema(std::string name, std::string doc) : name_(std::move(name)), doc_(std::move(doc)) {}

Field& Schema::field(std::string name, Kind kind, std::string doc) {
  if (find(name)) throw std::logic_error("schema " + name_ + ": key \"" + name + "\" declared twice");
  return fields_.emplace_back(std::move(name), kind, std::move(doc));
}

Schema Schema::merged(const Schema& other, std::string name) const {
  Schema out = *this;
  out.name_ = std::move(name);
  out.open_ = open_ && other.open_;
  for (const Field& f : other.fields_) {
    auto same = std::ranges::find(out.fields_, f.name(), &Field::name);
    if (same != out.fields_.end())
      *same = f;
    else
      out.fields_.push_back(f);
  }
  return out;
}

Schema& Schema::open() {
  open_ = true;
  return *this;
}

const Field* Schema::find(std::string_view name) const {
  auto it = std::ranges::find(fields_, name, &Field::name);
  return it == fields_.end() ? nullptr : &*it;
}

}  // namespace chatops::config
