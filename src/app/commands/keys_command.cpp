// `keys generate` and `keys public`: Ed25519 signing keys for EdDSA access tokens (JWT_PRIVATE_KEY_FILE).
#include <iostream>

#include "app/cli.hpp"
#include "app/key_files.hpp"

namespace sms_auth {
namespace {

int generate_key(const std::string& out_path) {
  const Ed25519Key key = Ed25519Key::generate();
  if (out_path.empty()) {
    std::cout << key.private_pem();
    return kExitOk;
  }
  write_private_key_file(out_path, key);
  // The public half on stdout (for JWT_PREVIOUS_PUBLIC_KEY_FILES after the next rotation), the story on stderr, so
  // `sms-auth keys generate --out key.pem > key.pub.pem` keeps both.
  std::cerr << "wrote a new Ed25519 signing key to " << out_path << " (mode 0600, kid " << key.key_id()
            << "); use it with JWT_PRIVATE_KEY_FILE=" << out_path << "\n";
  std::cout << key.public_pem();
  return kExitOk;
}

int print_public_key(const std::string& path) {
  const Ed25519Key key = read_verification_key_file(path);
  std::cerr << "kid " << key.key_id() << "\n";
  std::cout << key.public_pem();
  return kExitOk;
}

}  // namespace

void add_keys_command(CLI::App& app, int& exit_code) {
  auto* keys = app.add_subcommand("keys", "Ed25519 signing keys for EdDSA access tokens (JWT_PRIVATE_KEY_FILE)");
  keys->require_subcommand(1);

  auto* generate = keys->add_subcommand(
      "generate", "Make a new Ed25519 signing key (PEM PKCS#8). With --out, write it to a new file of mode 0600 and "
                  "print its public key; without, print the private key");
  auto out_path = std::make_shared<std::string>();
  generate->add_option("--out", *out_path, "File to create (never overwritten)");
  generate->callback([&exit_code, out_path] {
    exit_code = run_command("keys generate", [&] { return generate_key(*out_path); });
  });

  auto* show_public = keys->add_subcommand(
      "public", "Print the public key (PEM) of a key file, e.g. to keep it in JWT_PREVIOUS_PUBLIC_KEY_FILES");
  auto key_path = std::make_shared<std::string>();
  show_public->add_option("FILE", *key_path, "A private or public Ed25519 key file")->required();
  show_public->callback([&exit_code, key_path] {
    exit_code = run_command("keys public", [&] { return print_public_key(*key_path); });
  });
}

}  // namespace sms_auth
