#include "textflag.h"

// BROADCAST sets every byte of y (whose low half is x) to the constant c;
// it clobbers AX.
#define BROADCAST(c, x, y) MOVL c, AX; VMOVD AX, x; VPBROADCASTB x, y

// MASK64 sets AX to the 64-bit mask of the bytes of lo (bits 0-31) and hi
// (bits 32-63) equal to the bytes of y; it clobbers Y4, Y5 and BX.
#define MASK64(y, lo, hi) VPCMPEQB y, lo, Y4; VPCMPEQB y, hi, Y5; VPMOVMSKB Y4, AX; VPMOVMSKB Y5, BX; SHLQ $32, BX; ORQ BX, AX

// func classifyAVX2(b *[64]byte) (quote, backslash, open, close uint64)
//
// Bit i of each result is set when byte i is '"', '\\', '{' or '[', and
// '}' or ']'. c|0x20 folds '[' (0x5B) onto '{' (0x7B) and ']' (0x5D) onto
// '}' (0x7D); no other byte folds onto either.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-40
	MOVQ b+0(FP), SI
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1

	BROADCAST($0x20, X13, Y13)
	VPOR Y13, Y0, Y2           // Y2, Y3: bytes with bit 0x20 set
	VPOR Y13, Y1, Y3

	BROADCAST($0x22, X14, Y14) // '"'
	MASK64(Y14, Y0, Y1)
	MOVQ AX, quote+8(FP)

	BROADCAST($0x5C, X14, Y14) // '\\'
	MASK64(Y14, Y0, Y1)
	MOVQ AX, backslash+16(FP)

	BROADCAST($0x7B, X14, Y14) // '{' and '['
	MASK64(Y14, Y2, Y3)
	MOVQ AX, open+24(FP)

	BROADCAST($0x7D, X14, Y14) // '}' and ']'
	MASK64(Y14, Y2, Y3)
	MOVQ AX, close+32(FP)

	VZEROUPPER
	RET

// func skimAVX2(p *byte, n int, inStr uint64, depth int) (done int, inStrOut uint64, depthOut int, end int)
//
// skimAVX2 is the fast path of blockWalk.advance: it consumes whole 64-byte
// blocks of p[:n] that have no backslash, keeping the in-string state (all
// ones or zero) and the bracket depth, and stops after the bracket that
// brings the depth to zero (end is the index after it; -1 when none) or
// before the first block with a backslash, which the caller walks in Go.
// The in-string mask is the prefix XOR of the quote bits, one carry-less
// multiplication by all ones. Depth moves by popcounts unless the block
// has as many closing brackets as the depth; then its brackets are
// visited in order.
TEXT ·skimAVX2(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ inStr+16(FP), R8
	MOVQ depth+24(FP), R9
	XORQ DI, DI

	BROADCAST($0x20, X13, Y13)
	BROADCAST($0x22, X12, Y12)
	BROADCAST($0x5C, X11, Y11)
	BROADCAST($0x7B, X10, Y10)
	BROADCAST($0x7D, X9, Y9)
	MOVQ $-1, AX
	VMOVQ AX, X8

loop:
	LEAQ 64(DI), AX
	CMPQ AX, CX
	JGT  out
	VMOVDQU 0(SI)(DI*1), Y0
	VMOVDQU 32(SI)(DI*1), Y1

	VPCMPEQB Y11, Y0, Y4       // any backslash: the caller decides
	VPCMPEQB Y11, Y1, Y5
	VPOR Y4, Y5, Y4
	VPTEST Y4, Y4
	JNZ out

	MASK64(Y12, Y0, Y1)        // quotes
	VMOVQ AX, X6
	VPCLMULQDQ $0, X8, X6, X6
	VMOVQ X6, R10
	XORQ R8, R10               // R10: bytes inside strings
	MOVQ R10, R12
	NOTQ R12                   // R12: bytes outside strings

	VPOR Y13, Y0, Y2
	VPOR Y13, Y1, Y3
	MASK64(Y9, Y2, Y3)         // closing brackets
	ANDQ R12, AX
	MOVQ AX, R11               // R11: closing brackets outside strings
	POPCNTQ AX, R13

	MASK64(Y10, Y2, Y3)        // opening brackets
	ANDQ R12, AX               // AX: opening brackets outside strings

	CMPQ R9, R13
	JLE brackets               // the value may close in this block
	POPCNTQ AX, R14
	ADDQ R14, R9
	SUBQ R13, R9
	JMP next

brackets:
	MOVQ AX, DX
	ORQ R11, DX                // DX: every bracket, visited lowest first
bit:
	TESTQ DX, DX
	JZ next
	BSFQ DX, BX
	BTQ BX, AX
	JCS opening
	DECQ R9
	JZ closed
	JMP clear
opening:
	INCQ R9
clear:
	LEAQ -1(DX), R13
	ANDQ R13, DX
	JMP bit

closed:
	SARQ $63, R10              // unused by the caller: the walk is over
	LEAQ 1(DI)(BX*1), AX
	MOVQ AX, done+32(FP)
	MOVQ R10, inStrOut+40(FP)
	MOVQ R9, depthOut+48(FP)
	MOVQ AX, end+56(FP)
	VZEROUPPER
	RET

next:
	SARQ $63, R10
	MOVQ R10, R8
	ADDQ $64, DI
	JMP loop

out:
	MOVQ DI, done+32(FP)
	MOVQ R8, inStrOut+40(FP)
	MOVQ R9, depthOut+48(FP)
	MOVQ $-1, end+56(FP)
	VZEROUPPER
	RET

// func indexAnchorAVX2(p *byte, n int) (found int, next int)
//
// indexAnchorAVX2 returns the first i with p[i] == '\\', or p[i] == 't'
// and p[i+1] == 'N' or 'S' (the middle of "eventName" and "eventSource", a
// pair rare in CloudTrail otherwise), looking at 32 positions per step
// while 33 bytes remain; found is -1 when there is none, and next says
// where the caller goes on byte by byte.
TEXT ·indexAnchorAVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	XORQ DI, DI
	BROADCAST($0x74, X1, Y1)
	BROADCAST($0x4E, X2, Y2)
	BROADCAST($0x53, X3, Y3)
	BROADCAST($0x5C, X8, Y8)

aloop:
	LEAQ 33(DI), AX
	CMPQ AX, CX
	JGT  anone
	VMOVDQU 0(SI)(DI*1), Y4
	VMOVDQU 1(SI)(DI*1), Y5
	VPCMPEQB Y8, Y4, Y9
	VPCMPEQB Y1, Y4, Y4
	VPCMPEQB Y2, Y5, Y6
	VPCMPEQB Y3, Y5, Y7
	VPOR Y6, Y7, Y6
	VPAND Y4, Y6, Y4
	VPOR Y9, Y4, Y4
	VPMOVMSKB Y4, AX
	TESTL AX, AX
	JNZ afound
	ADDQ $32, DI
	JMP aloop

afound:
	BSFL AX, AX
	ADDQ DI, AX
	MOVQ AX, found+16(FP)
	MOVQ DI, next+24(FP)
	VZEROUPPER
	RET

anone:
	MOVQ $-1, found+16(FP)
	MOVQ DI, next+24(FP)
	VZEROUPPER
	RET
