#include "policy/arn.hpp"

namespace berth::policy {

std::string principal_arn(std::string_view account, std::string_view principal) {
  std::string out = "arn:aws:iam::";
  out.append(account);
  out.push_back(':');
  out.append(principal);
  return out;
}

std::string repository_arn(std::string_view region, std::string_view account,
                           std::string_view name) {
  std::string out = "arn:aws:ecr:";
  out.append(region);
  out.push_back(':');
  out.append(account);
  out.append(":repository/");
  out.append(name);
  return out;
}

}  // namespace berth::policy
