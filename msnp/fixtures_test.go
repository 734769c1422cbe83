package msnp

// Server-to-client byte streams used by the reader tests and benchmarks.

// msnp7Server is everything the servers send in the worked MSNP7 transcript
// of MSNP.md §5 (dispatch and notification streams concatenated).
const msnp7Server = "VER 1 MSNP7\r\n" +
	"INF 2 MD5\r\n" +
	"XFR 3 NS 10.0.0.5:1863 0 10.0.0.1:1863\r\n" +
	"VER 4 MSNP7\r\n" +
	"INF 5 MD5\r\n" +
	"USR 6 MD5 S 1013928519.693957190\r\n" +
	"USR 7 OK alice@example.com alice%40example.com 1\r\n" +
	"MSG Hotmail Hotmail 95\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: 1013928519\r\n\r\n" +
	"SYN 8 1\r\n" +
	"GTC 8 1 A\r\n" +
	"BLP 8 1 AL\r\n" +
	"PRP 8 1 PHH\r\n" +
	"PRP 8 1 PHW\r\n" +
	"PRP 8 1 PHM\r\n" +
	"PRP 8 1 MOB N\r\n" +
	"PRP 8 1 MBE N\r\n" +
	"LSG 8 1 1 1 0 Other%20Contacts 0\r\n" +
	"LST 8 FL 1 1 1 bob@example.com Bob 0\r\n" +
	"BPR 1 bob@example.com PHH\r\n" +
	"BPR 1 bob@example.com PHW\r\n" +
	"BPR 1 bob@example.com PHM\r\n" +
	"BPR 1 bob@example.com MOB N\r\n" +
	"LST 8 AL 1 1 1 bob@example.com Bob\r\n" +
	"LST 8 BL 1 0 0\r\n" +
	"LST 8 RL 1 1 1 bob@example.com Bob\r\n" +
	"CHG 9 NLN\r\n" +
	"ILN 9 NLN bob@example.com Bob\r\n" +
	"CHL 0 15570131571988941333\r\n" +
	"QRY 10\r\n" +
	"QNG\r\n"

// msnp7Want is how the reader renders each command of msnp7Server.
var msnp7Want = []string{
	"VER t=1 [MSNP7]",
	"INF t=2 [MD5]",
	"XFR t=3 [NS 10.0.0.5:1863 0 10.0.0.1:1863]",
	"VER t=4 [MSNP7]",
	"INF t=5 [MD5]",
	"USR t=6 [MD5 S 1013928519.693957190]",
	"USR t=7 [OK alice@example.com alice%40example.com 1]",
	"MSG [Hotmail Hotmail 95] payload=95",
	"SYN t=8 [1]",
	"GTC t=8 [1 A]",
	"BLP t=8 [1 AL]",
	"PRP t=8 [1 PHH]",
	"PRP t=8 [1 PHW]",
	"PRP t=8 [1 PHM]",
	"PRP t=8 [1 MOB N]",
	"PRP t=8 [1 MBE N]",
	"LSG t=8 [1 1 1 0 Other%20Contacts 0]",
	"LST t=8 [FL 1 1 1 bob@example.com Bob 0]",
	"BPR [1 bob@example.com PHH]",
	"BPR [1 bob@example.com PHW]",
	"BPR [1 bob@example.com PHM]",
	"BPR [1 bob@example.com MOB N]",
	"LST t=8 [AL 1 1 1 bob@example.com Bob]",
	"LST t=8 [BL 1 0 0]",
	"LST t=8 [RL 1 1 1 bob@example.com Bob]",
	"CHG t=9 [NLN]",
	"ILN t=9 [NLN bob@example.com Bob]",
	"CHL t=0 [15570131571988941333]",
	"QRY t=10 []",
	"QNG []",
}

// msnp2Server is an MSNP2 login with a dispatch tier, the short XFR form and
// the minimal 95-byte profile (MSNP.md §2.5, §3.3, §4.1).
const msnp2Server = "VER 1 MSNP2\r\n" +
	"INF 2 MD5\r\n" +
	"XFR 3 NS 127.0.0.1:1864\r\n" +
	"VER 4 MSNP2\r\n" +
	"INF 5 MD5\r\n" +
	"USR 6 MD5 S 1234567890.123456789\r\n" +
	"USR 7 OK alice@example.com Alice%20A.\r\n" +
	"MSG Hotmail Hotmail 95\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: 1726321960\r\n\r\n" +
	"SYN 8 1\r\n" +
	"GTC 8 1 A\r\n" +
	"BLP 8 1 AL\r\n" +
	"LST 8 FL 1 1 1 bob@example.com Bob\r\n" +
	"LST 8 AL 1 1 1 bob@example.com Bob\r\n" +
	"LST 8 BL 1 0 0\r\n" +
	"LST 8 RL 1 0 0\r\n" +
	"CHG 9 NLN\r\n"

var msnp2Want = []string{
	"VER t=1 [MSNP2]",
	"INF t=2 [MD5]",
	"XFR t=3 [NS 127.0.0.1:1864]",
	"VER t=4 [MSNP2]",
	"INF t=5 [MD5]",
	"USR t=6 [MD5 S 1234567890.123456789]",
	"USR t=7 [OK alice@example.com Alice%20A.]",
	"MSG [Hotmail Hotmail 95] payload=95",
	"SYN t=8 [1]",
	"GTC t=8 [1 A]",
	"BLP t=8 [1 AL]",
	"LST t=8 [FL 1 1 1 bob@example.com Bob]",
	"LST t=8 [AL 1 1 1 bob@example.com Bob]",
	"LST t=8 [BL 1 0 0]",
	"LST t=8 [RL 1 0 0]",
	"CHG t=9 [NLN]",
}

// variations are the server behaviours of MSNP.md §11 and §4.8 a tolerant
// client meets: LF-only lines, runs of blanks, CVR0 echoes, errors with and
// without TrID, NOT/IPG payloads, asynchronous commands, unknown commands.
const variations = "VER 1 MSNP2 CVR0\n" +
	"INF  2\tMD5\r\n" +
	"USR 3 MD5 S static-salt\n" +
	"\r\n" +
	"911 4\r\n" +
	"600\r\n" +
	"715 5 extra info\r\n" +
	"CHG 7 NLN 0\r\n" +
	"NOT 10\r\n<NOTIFY/>\r\n" +
	"IPG 3\r\nabc" +
	"NLN NLN carol@example.com Carol\r\n" +
	"FLN carol@example.com\r\n" +
	"ADD 0 RL 12 dave@example.com Dave\r\n" +
	"ZZZ some unknown thing\r\n" +
	"OUT OTH\r\n" +
	"MSG Hotmail Hotmail 0\r\n" +
	"OUT\r\n"

var variationsWant = []string{
	"VER t=1 [MSNP2 CVR0]",
	"INF t=2 [MD5]",
	"USR t=3 [MD5 S static-salt]",
	"911 t=4 [] error",
	"600 [] error",
	"715 t=5 [extra info] error",
	"CHG t=7 [NLN 0]",
	"NOT [10] payload=10",
	"IPG [3] payload=3",
	"NLN [NLN carol@example.com Carol]",
	"FLN [carol@example.com]",
	"ADD t=0 [RL 12 dave@example.com Dave]",
	"ZZZ [some unknown thing]",
	"OUT [OTH]",
	"MSG [Hotmail Hotmail 0] payload=0",
	"OUT []",
}

// clientStream is what a client sends, read by the server (FromClient).
const clientStream = "VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0\r\n" +
	"INF 2\r\n" +
	"USR 3 MD5 I alice@example.com\r\n" +
	"USR 4 MD5 S 7f919fab309532df353c901430df36fa\n" +
	"SYN 5 0\r\n" +
	"CHG 6 NLN\r\n" +
	"QRY 7 msmsgs@msnmsgr.com 32\r\n8f2f5a91b72102cd28355e9fc9000d6e" +
	"PNG\r\n" +
	"OUT\r\n"

var clientWant = []string{
	"VER t=1 [MSNP7 MSNP6 MSNP5 MSNP4 CVR0]",
	"INF t=2 []",
	"USR t=3 [MD5 I alice@example.com]",
	"USR t=4 [MD5 S 7f919fab309532df353c901430df36fa]",
	"SYN t=5 [0]",
	"CHG t=6 [NLN]",
	"QRY t=7 [msmsgs@msnmsgr.com 32] payload=32",
	"PNG []",
	"OUT []",
}
