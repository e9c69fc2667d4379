// Runs LLVMFuzzerTestOneInput once on every file of the directories and
// files named on the command line, the way libFuzzer runs a corpus, for
// builds without libFuzzer. A failed property aborts the process. Exits 1
// if an argument cannot be read or names no input files.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Returns the regular files of `path` in name order, or `path` itself if it
// is a file. Symbolic links, as in Bazel's runfiles, are followed.
std::vector<std::filesystem::path> InputFiles(const std::filesystem::path& path,
                                              std::error_code& error) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(path, error)) {
    if (std::filesystem::is_regular_file(path, error)) files.push_back(path);
    return files;
  }
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (entry.is_regular_file(error)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 1;
  }
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    const std::vector<std::filesystem::path> files = InputFiles(argv[i], error);
    if (error || files.empty()) {
      std::fprintf(stderr, "%s: no input files read: %s\n", argv[i],
                   error ? error.message().c_str() : "no regular files");
      return 1;
    }
    for (const std::filesystem::path& file : files) {
      std::ifstream stream(file, std::ios::binary);
      const std::string input((std::istreambuf_iterator<char>(stream)),
                              std::istreambuf_iterator<char>());
      if (!stream.good() && !stream.eof()) {
        std::fprintf(stderr, "%s: read failed\n", file.c_str());
        return 1;
      }
      std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(),
                   input.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                             input.size());
    }
    std::fprintf(stderr, "%s: %zu inputs passed\n", argv[i], files.size());
  }
  return 0;
}
