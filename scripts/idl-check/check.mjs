// Loads each IDL under idl/ with @coral-xyz/anchor: builds the instruction, account and event
// coders (which resolves every type the IDL names), constructs a Program against an offline
// connection, and encodes a few instructions. Prints one JSON line per encoded instruction
// so the Rust test can compare the bytes with the program's own encoding.
import anchor from "@coral-xyz/anchor";
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const { BorshCoder, BN, Program, AnchorProvider, Wallet, web3 } = anchor;
const here = dirname(fileURLToPath(import.meta.url));
const idlDir = join(here, "..", "..", "idl");

// What to encode in each program, with arguments as a TypeScript client writes them.
const cases = {
  vault: [
    ["deposit", { amount: new BN("1234567") }],
    ["request_withdraw", { amount: { Assets: { 0: new BN("5000") } } }],
    ["propose", { action: { PauseTrading: {} } }],
    ["propose", { action: { SetLockup: { 0: new BN("2592000") } } }],
  ],
  local_amm: [["swap", { amount_in: new BN("1000000"), min_out: new BN("990000") }]],
  local_lender: [["flash_repay", { amount: new BN("777"), borrow_instruction_index: 3 }]],
};

const offline = new AnchorProvider(
  new web3.Connection("http://127.0.0.1:1"),
  new Wallet(web3.Keypair.generate()),
  {},
);

let failures = 0;
const files = readdirSync(idlDir).filter((f) => f.endsWith(".json")).sort();
if (files.length === 0) {
  console.error(`no IDL files under ${idlDir}`);
  process.exit(1);
}
for (const file of files) {
  const idl = JSON.parse(readFileSync(join(idlDir, file), "utf8"));
  const name = idl.metadata?.name;
  try {
    const coder = new BorshCoder(idl);
    const program = new Program(idl, offline);
    if (program.programId.toBase58() !== idl.address) {
      throw new Error(`program id ${program.programId.toBase58()} != ${idl.address}`);
    }
    const todo = cases[name];
    if (!todo) throw new Error(`no instruction to encode for program ${name}`);
    for (const [ix, args] of todo) {
      const data = coder.instruction.encode(ix, args);
      console.log(JSON.stringify({ program: name, instruction: ix, hex: data.toString("hex") }));
    }
    console.log(JSON.stringify({
      program: name,
      loaded: true,
      instructions: idl.instructions.length,
      accounts: (idl.accounts ?? []).length,
      events: (idl.events ?? []).length,
    }));
  } catch (e) {
    failures += 1;
    console.error(`${file}: ${e.stack ?? e}`);
  }
}
process.exit(failures === 0 ? 0 : 1);
