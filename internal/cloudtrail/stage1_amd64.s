#include "textflag.h"

// func classifyAVX2(b *[64]byte) (quote, backslash, open, close uint64)
//
// Bit i of each result is set when byte i is '"', '\\', '{' or '[', and
// '}' or ']'. c|0x20 folds '[' (0x5B) onto '{' (0x7B) and ']' (0x5D) onto
// '}' (0x7D); no other byte folds onto either.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-40
	MOVQ b+0(FP), SI
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1

	MOVL $0x20, AX
	VMOVD AX, X13
	VPBROADCASTB X13, Y13
	VPOR Y13, Y0, Y2           // Y2, Y3: bytes with bit 0x20 set
	VPOR Y13, Y1, Y3

	MOVL $0x22, AX             // '"'
	VMOVD AX, X14
	VPBROADCASTB X14, Y14
	VPCMPEQB Y14, Y0, Y4
	VPCMPEQB Y14, Y1, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, quote+8(FP)

	MOVL $0x5C, AX             // '\\'
	VMOVD AX, X14
	VPBROADCASTB X14, Y14
	VPCMPEQB Y14, Y0, Y4
	VPCMPEQB Y14, Y1, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, backslash+16(FP)

	MOVL $0x7B, AX             // '{' and '['
	VMOVD AX, X14
	VPBROADCASTB X14, Y14
	VPCMPEQB Y14, Y2, Y4
	VPCMPEQB Y14, Y3, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, open+24(FP)

	MOVL $0x7D, AX             // '}' and ']'
	VMOVD AX, X14
	VPBROADCASTB X14, Y14
	VPCMPEQB Y14, Y2, Y4
	VPCMPEQB Y14, Y3, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, close+32(FP)

	VZEROUPPER
	RET

// func skimAVX2(p *byte, n int, inStr uint64, depth int) (done int, inStrOut uint64, depthOut int)
//
// skimAVX2 is the fast path of Scanner.scanBlocks: it consumes whole
// 64-byte blocks of p[:n] while a block has no backslash and cannot close
// the value (depth stays above the block's closing brackets), keeping the
// in-string state (all ones or zero) and the depth. It stops before the
// first block it cannot decide alone; the caller walks that block in Go.
// The in-string mask is the prefix XOR of the quote bits, one carry-less
// multiplication by all ones.
TEXT ·skimAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ inStr+16(FP), R8
	MOVQ depth+24(FP), R9
	XORQ DI, DI

	MOVL $0x20, AX
	VMOVD AX, X13
	VPBROADCASTB X13, Y13
	MOVL $0x22, AX
	VMOVD AX, X12
	VPBROADCASTB X12, Y12
	MOVL $0x5C, AX
	VMOVD AX, X11
	VPBROADCASTB X11, Y11
	MOVL $0x7B, AX
	VMOVD AX, X10
	VPBROADCASTB X10, Y10
	MOVL $0x7D, AX
	VMOVD AX, X9
	VPBROADCASTB X9, Y9
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

	VPCMPEQB Y12, Y0, Y4       // quotes
	VPCMPEQB Y12, Y1, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	VMOVQ AX, X6
	VPCLMULQDQ $0, X8, X6, X6
	VMOVQ X6, R10
	XORQ R8, R10               // R10: bytes inside strings
	MOVQ R10, R12
	NOTQ R12                   // R12: bytes outside strings

	VPOR Y13, Y0, Y2
	VPOR Y13, Y1, Y3
	VPCMPEQB Y9, Y2, Y4        // closing brackets
	VPCMPEQB Y9, Y3, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	ANDQ R12, AX
	POPCNTQ AX, R13
	CMPQ R9, R13
	JLE out                    // the value may close in this block

	VPCMPEQB Y10, Y2, Y4       // opening brackets
	VPCMPEQB Y10, Y3, Y5
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ BX, AX
	ANDQ R12, AX
	POPCNTQ AX, R14
	ADDQ R14, R9
	SUBQ R13, R9

	SARQ $63, R10
	MOVQ R10, R8
	ADDQ $64, DI
	JMP loop

out:
	MOVQ DI, done+32(FP)
	MOVQ R8, inStrOut+40(FP)
	MOVQ R9, depthOut+48(FP)
	VZEROUPPER
	RET
