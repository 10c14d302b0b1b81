// Package hl7 owns the syntax of HL7 version 2 messages: parsing, typed
// access by path, editing, encoding, batches and acknowledgements. It knows
// nothing of message meaning (that is v2fhir's job) and does no I/O beyond
// reading an io.Reader of bytes. It is layer 0: it imports only the standard
// library, and anyone may import it.
//
// # Contract
//
// Parse is lossless: a Message keeps the bytes it was parsed from and an index
// of its segments into them, and (*Message).Bytes of an unmodified message
// returns exactly those bytes, byte-order mark, segment terminators (CR, LF
// or CRLF, as they were), blank lines and all. Values are split and unescaped
// only when they are read. Set re-encodes just the segment it changes; every
// other segment keeps its original bytes. (*Message).Encode gives the wire
// form instead: no byte-order mark, no blank lines, every segment ended by a
// single CR, as MLLP and the standard want.
//
// A UTF-8 byte-order mark before MSH is skipped and remembered (HasBOM);
// Bytes keeps it, Encode drops it. UTF-16 input is refused.
//
// Parse does not copy its input: the Message refers to b, which the caller
// must not modify while the Message is in use. Parse never writes to b.
//
// # Paths
//
// Values are addressed like the standard writes them, 1-based:
// "PID-3[2].1" is component 1 of the second repetition of field 3 of the
// first PID segment; "OBX[3]-5" is field 5 of the third OBX; "PID-3[1].4.2"
// goes down to a subcomponent. MSH-1 is the field separator itself and MSH-2
// the encoding characters, so MSH-9 is the ninth field as the standard counts
// it although only eight separators precede it. Get follows the convention
// of other HL7 libraries: missing repetition, component and subcomponent
// numbers mean 1, so Get("PID-5") is the family name. Raw returns the still
// encoded text of exactly the element named, all of it when a level is left
// out.
//
// # Files, batches and acknowledgements
//
// A Scanner reads a stream of several messages, as files hold them, with or
// without FHS/BHS batch envelopes, and yields messages and batch control
// segments in order; ParseBatch does the same for bytes in memory and checks
// the BTS-1 and FTS-1 counts. ACK builds the acknowledgement of a message,
// original or enhanced mode as its MSH-15 and MSH-16 ask, with ERR segments
// in the style of its version.
//
// # Errors
//
// Errors are *Error values that say what was wrong and where (segment index
// and name, field and component position, byte offset) and wrap a sentinel
// such as ErrSegmentName. They never contain field values: patient data must
// not reach logs.
package hl7
