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

}  // namespace nw
