@area.codes
Feature: Personal and merchant collection codes (个人收款码与商户收款码)
  Since 1 March 2022 (银发〔2021〕259号) an acquirer marks every collection code it issues as a
  merchant's or a person's: a payee with clear business activity gets a merchant code, and a
  personal code is not for remote, non-face-to-face collection. PCAC's announcement of
  22 February 2022 added a third class, the personal business code (个人经营收款码), managed as
  a merchant code (profile 1.1). In the interconnection the mark travels in the code
  application (mpm.code_apply, codeOwner), and from profile 1.1 so does the code's use
  (merchantChannel, EMV MPM v1.1 62-11: location 2 = remote commerce), which is what the
  switch, and so the harness, can see. What a payer then does with the code is the same
  whatever its class.

  @tc.COL-01-<owner> @req.R-FLOW-11 @req.R-FLOW-01 @role.acquirer
  Scenario Outline: The SUT's acquirer applies to the switch for a static <owner> collection code, and a peer wallet pays it
    Given a payer account at the peer holding 100.00 CNY
    When the SUT's acquirer applies to the switch for a static collection code of a <owner> payee "Zhang San Stall"
    Then the SUT's code application to the switch marked the code as a <owner> code
    When the payer scans the merchant code in the peer's wallet and pays 15.00 CNY
    Then the peer reports the payment as approved
    And the SUT's acquirer recorded a credit of 15.00 CNY to the merchant
    And the payer account at the peer holds 85.00 CNY

    Examples: both kinds of collection code
      | owner    |
      | merchant |
      | personal |

  @tc.COL-02 @req.R-FLOW-11 @req.R-MPM-14 @role.acquirer @feature.dynamic-mpm
  Scenario: The SUT's acquirer applies to the switch for a dynamic merchant code, paid once
    Given a payer account at the peer holding 100.00 CNY
    When the SUT's acquirer applies to the switch for a dynamic merchant code for 20.00 CNY
    Then the SUT's code application to the switch marked the code as a merchant code
    When the payer scans the merchant code in the peer's wallet
    Then the peer reports the payment as approved
    When the payer scans the same merchant code in the peer's wallet again
    Then the peer reports the payment as declined with response code "35"
    And the payer account at the peer holds 80.00 CNY

  @tc.COL-03 @req.R-FLOW-11 @req.R-FLOW-16 @role.acquirer
  Scenario: The SUT's acquirer applies to the switch for a personal business code, and a peer wallet pays it
    Given a payer account at the peer holding 100.00 CNY
    When the SUT's acquirer applies to the switch for a static collection code of a personal-business payee "Li Si Noodles"
    Then the SUT's code application to the switch marked the code as a personal-business code
    When the payer scans the merchant code in the peer's wallet and pays 15.00 CNY
    Then the peer reports the payment as approved
    And the SUT's acquirer recorded a credit of 15.00 CNY to the merchant
    And the payer account at the peer holds 85.00 CNY

  @tc.COL-04-<owner> @req.R-FLOW-16 @role.acquirer
  Scenario Outline: The SUT's acquirer applies for a <owner> code for remote collection, and its application says so
    Given a payer account at the peer holding 100.00 CNY
    When the SUT's acquirer is asked for a static collection code for remote use of a <owner> payee "Online Stall"
    Then the SUT applied to the switch for a <owner> code for remote use
    When the payer scans the merchant code in the peer's wallet and pays 15.00 CNY
    Then the peer reports the payment as approved
    And the payer account at the peer holds 85.00 CNY

    Examples: the classes of code that may collect remotely
      | owner             |
      | merchant          |
      | personal-business |

  @tc.COL-05 @req.R-FLOW-16 @role.acquirer
  Scenario: The SUT's acquirer issues no personal collection code for remote collection
    When the SUT's acquirer is asked for a static collection code for remote use of a personal payee "Zhang San"
    Then the SUT issued no collection code, and applied to the switch for none
