#include "nw/core/query_status.h"

namespace nw {

std::string_view to_string(Language language) {
  switch (language) {
    case Language::opencypher:
      return "opencypher";
    case Language::gremlin:
      return "gremlin";
    case Language::sparql:
      return "sparql";
  }
  return "opencypher";
}

std::string_view to_string(InstanceRole role) {
  switch (role) {
    case InstanceRole::writer:
      return "writer";
    case InstanceRole::reader:
      return "reader";
    case InstanceRole::unknown:
      break;
  }
  return "unknown";
}

std::optional<Language> language_named(std::string_view name) {
  for (Language language : {Language::opencypher, Language::gremlin, Language::sparql})
    if (name == to_string(language)) return language;
  return std::nullopt;
}

}  // namespace nw
