#ifndef TENANTRY_STORAGE_STATUS_MACROS_H_
#define TENANTRY_STORAGE_STATUS_MACROS_H_

// Early-return helpers for absl::Status and absl::StatusOr. Debian's Abseil
// 20220623 ships neither.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status of `expr` from the calling function unless it is OK.
#define TENANTRY_RETURN_IF_ERROR(expr)              \
  do {                                              \
    const ::absl::Status tenantry_status_ = (expr); \
    if (!tenantry_status_.ok()) {                   \
      return tenantry_status_;                      \
    }                                               \
  } while (false)

#define TENANTRY_STATUS_CONCAT_INNER_(a, b) a##b
#define TENANTRY_STATUS_CONCAT_(a, b) TENANTRY_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr`, an absl::StatusOr<T>, and either returns its error
// status or moves its value into `lhs`, which may be a declaration.
#define TENANTRY_ASSIGN_OR_RETURN(lhs, expr) \
  TENANTRY_ASSIGN_OR_RETURN_IMPL_(           \
      TENANTRY_STATUS_CONCAT_(tenantry_statusor_, __LINE__), lhs, expr)

#define TENANTRY_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) {                                      \
    return std::move(statusor).status();                     \
  }                                                          \
  lhs = *std::move(statusor)

#endif  // TENANTRY_STORAGE_STATUS_MACROS_H_
