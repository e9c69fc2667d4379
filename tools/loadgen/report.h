// The output of `loadgen run`: a table for people, JSON for scripts and
// warnings for runs that did not go as requested.

#ifndef TENANTRY_TOOLS_LOADGEN_REPORT_H_
#define TENANTRY_TOOLS_LOADGEN_REPORT_H_

#include <string>
#include <vector>

#include "tools/loadgen/run.h"

namespace tenantry::loadgen {

// Returns the result as an aligned two-column table.
std::string FormatTable(const RunOptions& options, const RunResult& result);

// Returns the result as one JSON object, as described in --help.
std::string FormatJson(const RunOptions& options, const RunResult& result);

// Returns the lines to print on stderr if calls failed or the run stopped
// before --calls or --duration; empty if the run went as requested.
std::vector<std::string> FormatWarnings(const RunOptions& options,
                                        const RunResult& result);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_REPORT_H_
