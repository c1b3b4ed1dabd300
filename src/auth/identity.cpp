#include "auth/identity.hpp"

#include "policy/arn.hpp"

namespace berth::auth {

namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '_' || c == '-';
}

}  // namespace

std::string Identity::arn() const { return policy::principal_arn(account_id, principal); }

std::string_view Identity::username() const {
  std::string_view p = principal;
  if (!p.starts_with("user/")) return {};
  return p.substr(p.rfind('/') + 1);
}

bool is_principal(std::string_view text) {
  if (text == kRootPrincipal) return true;
  if (!text.starts_with("user/") && !text.starts_with("role/")) return false;
  std::string_view name = text.substr(5);
  if (name.empty() || name.size() > 512) return false;
  std::size_t segment = 0;
  for (char c : name) {
    if (c == '/') {
      if (segment == 0) return false;
      segment = 0;
    } else if (!is_name_char(c) || ++segment > 64) {
      return false;
    }
  }
  return segment > 0;
}

}  // namespace berth::auth
