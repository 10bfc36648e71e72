/*
 * expr_lex.c - the DynamoDB expression tokenizer, in SQLite's style: a
 * character-class table picks the branch, each branch returns the token's
 * length and type.  Keywords (AND, OR, SET, ...) are plain TK_ID tokens;
 * the parser decides what they mean, because DynamoDB's keywords depend on
 * the expression kind.
 *
 * Entry point: expr_lex_token().
 */
#include "expr_int.h"

enum {
    CC_SPACE, CC_ALPHA, CC_DIGIT, CC_HASH, CC_COLON, CC_LP, CC_RP, CC_LB,
    CC_RB, CC_COMMA, CC_DOT, CC_EQ, CC_LT, CC_GT, CC_PLUS, CC_MINUS,
    CC_NUL, CC_HIGH, CC_ILLEGAL
};

/* Class of every 7-bit character; bytes >= 0x80 are CC_HIGH. */
static const unsigned char char_class[128] = {
/*        x0  x1  x2  x3  x4  x5  x6  x7  x8  x9  xa  xb  xc  xd  xe  xf */
/* 0x */ CC_NUL, 18, 18, 18, 18, 18, 18, 18, 18,  0,  0, 18, 18,  0, 18, 18,
/* 1x */ 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
/* 2x */  0, 18, 18,  3, 18, 18, 18, 18,  5,  6, 18, 14,  9, 15, 10, 18,
/* 3x */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  4, 18, 12, 11, 13, 18,
/* 4x */ 18,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,
/* 5x */  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  7, 18,  8, 18,  1,
/* 6x */ 18,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,
/* 7x */  1,  1,  1,  1,  1,  1,  1,  1,  1,  1,  1, 18, 18, 18, 18, 18,
};

static int cclass(unsigned char c)
{
    return c < 0x80 ? char_class[c] : CC_HIGH;
}

static bool id_char(unsigned char c)
{
    int k = cclass(c);
    return k == CC_ALPHA || k == CC_DIGIT;   /* '_' is in CC_ALPHA */
}

/* Length of one UTF-8 character (1 for stray bytes), never past NUL. */
static size_t utf8_len(const unsigned char *z)
{
    size_t n = 1;
    if (z[0] >= 0xc0)
        while (n < 4 && (z[n] & 0xc0) == 0x80)
            n++;
    return n;
}

/* Single-character tokens, indexed by class. */
static const expr_tk single_tk[] = {
    [CC_LP] = TK_LP, [CC_RP] = TK_RP, [CC_LB] = TK_LB, [CC_RB] = TK_RB,
    [CC_COMMA] = TK_COMMA, [CC_DOT] = TK_DOT, [CC_EQ] = TK_EQ,
    [CC_PLUS] = TK_PLUS, [CC_MINUS] = TK_MINUS,
};

size_t expr_lex_token(const char *s, expr_tk *type)
{
    const unsigned char *z = (const unsigned char *)s;
    size_t i;
    switch (cclass(z[0])) {
    case CC_NUL:
        *type = TK_EOF;
        return 0;
    case CC_SPACE:
        for (i = 1; cclass(z[i]) == CC_SPACE; i++)
            ;
        *type = TK_SPACE;
        return i;
    case CC_ALPHA:
        for (i = 1; id_char(z[i]); i++)
            ;
        *type = TK_ID;
        return i;
    case CC_DIGIT:
        for (i = 1; cclass(z[i]) == CC_DIGIT; i++)
            ;
        *type = TK_NUM;
        return i;
    case CC_HASH:
    case CC_COLON:
        for (i = 1; id_char(z[i]); i++)
            ;
        if (i == 1) {           /* a lone '#' or ':' */
            *type = TK_ILLEGAL;
            return 1;
        }
        *type = z[0] == '#' ? TK_NAME : TK_VALUE;
        return i;
    case CC_LT:
        if (z[1] == '=') { *type = TK_LE; return 2; }
        if (z[1] == '>') { *type = TK_NE; return 2; }
        *type = TK_LT;
        return 1;
    case CC_GT:
        if (z[1] == '=') { *type = TK_GE; return 2; }
        *type = TK_GT;
        return 1;
    case CC_HIGH:
        *type = TK_ILLEGAL;
        return utf8_len(z);
    case CC_ILLEGAL:
        *type = TK_ILLEGAL;
        return 1;
    default:
        *type = single_tk[cclass(z[0])];
        return 1;
    }
}
