// Package msnp implements the MSN Messenger protocol as spoken in the MD5 era
// (MSNP2–MSNP7): a zero-allocation command reader, append-style command
// writers, the login and QRY hashes, dialect negotiation, and error codes with
// their classes. It is shared by the load generator and the reference server
// and imports neither.
//
// The wire format is described in shared/MSNP.md; section numbers in comments
// refer to that document.
package msnp
