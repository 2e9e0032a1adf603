#!/usr/bin/env node
// ensure-chromium.mjs — makes sure a Chromium binary exists for the browser (e2e) tests, and python3 for the
// training kit's script tests (Debian's python3, installed the same way when missing).
// Uses $CHROMIUM_PATH when set, else /usr/bin/chromium; when missing, installs Debian's `chromium`
// package with apt-get (through sudo when not root). Prints what it does; exits non-zero with a clear
// message when it cannot.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

const target = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function run(argv) {
  console.log(`ensure-chromium: $ ${argv.join(" ")}`);
  const result = spawnSync(argv[0], argv.slice(1), {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.error) fail(`could not run ${argv[0]}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${argv.join(" ")}\` exited with status ${result.status}`);
}

const needPython = !has("python3");
if (existsSync(target) && !needPython) {
  console.log(`ensure-chromium: found ${target} and python3`);
  process.exit(0);
}
const packages = [...(existsSync(target) ? [] : ["chromium"]), ...(needPython ? ["python3"] : [])];

if (process.env.CHROMIUM_PATH && !existsSync(target)) {
  fail(`CHROMIUM_PATH=${target} does not exist. Point it at a Chromium/Chrome binary or unset it.`);
}

console.log(`ensure-chromium: installing Debian's ${packages.join(" and ")} (${packages.includes("chromium") ? `${target} is missing` : "python3 is missing"}).`);
if (process.platform !== "linux" || !has("apt-get")) {
  fail("no apt-get here. Install Chromium yourself and set CHROMIUM_PATH to its binary.");
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
let prefix = [];
if (!isRoot) {
  if (!has("sudo")) fail("not root and no sudo: cannot install chromium. Install it or set CHROMIUM_PATH.");
  prefix = ["sudo", "-E"];
}

run([...prefix, "apt-get", "update"]);
run([...prefix, "apt-get", "install", "-y", "--no-install-recommends", ...packages]);

if (!existsSync(target)) fail(`apt-get finished but ${target} is still missing.`);
if (!has("python3")) fail("apt-get finished but python3 is still missing.");
console.log(`ensure-chromium: installed ${packages.join(", ")}`);
