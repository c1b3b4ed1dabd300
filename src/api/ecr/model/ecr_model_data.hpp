// The ECR service contract (operations, shapes, constraints) as compact JSON,
// generated from the AWS model by scripts/gen_ecr_model.py. The parts are
// concatenated in order; the list ends with nullptr.
#pragma once

namespace berth::api::ecr {

extern const char* const kEcrModelJsonParts[];

}  // namespace berth::api::ecr
