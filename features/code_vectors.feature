@area.codes @vectors
Feature: Every code in the test vectors, scanned by the SUT (测试向量)
  The profile's test vectors (vectors/) hold every published sample code and one code for
  each way a code can break a coding rule, each with the result the specification calls for.
  Here the SUT meets each one as a payer's wallet or a merchant's terminal would: what must be
  refused is refused before anything is sent, and what is valid is passed to the switch as
  scanned. Each row is a vector: adding a vector adds a scenario.

  @tc.VEC-MPM-<tcId> @req.<requirements> @role.issuer
  Scenario Outline: The SUT's wallet refuses merchant code vector <tcId>: <comment>
    Given a payer account at the SUT holding 100.00 CNY
    When the payer scans the merchant code "<payload>" in the SUT's wallet and pays 10.00 CNY
    Then the SUT's wallet refuses the code
    And the SUT sent no message to the switch
    And the payer account at the SUT holds 100.00 CNY

    @rows.invalid-merchant-codes
    Examples: every merchant code of the vectors that breaks a coding rule
      | tcId | comment | payload | requirements |

  @tc.VEC-SAMPLE-<tcId> @req.R-CERT-03 @req.R-FLOW-01 @role.issuer @feature.cross-border
  Scenario Outline: The SUT's wallet reads the published sample <tcId> (<comment>) and asks the switch about it
    Given a payer account at the SUT holding 100.00 CNY
    When the payer scans the merchant code "<payload>" in the SUT's wallet and pays 10.00 CNY
    Then the SUT's wallet asked the switch about exactly that merchant code
    And the SUT reports the payment as declined with response code "44"
    And the payer account at the SUT holds 100.00 CNY

    @rows.published-merchant-codes
    Examples: every published sample code of the vectors (no participant of the simulated network owns them)
      | tcId | comment | payload |

  @tc.VEC-PAY-<tcId> @req.R-FLOW-01 @role.acquirer
  Scenario Outline: The SUT's terminal passes payment code vector <tcId> (<comment>) to the switch as scanned
    When the SUT's terminal scans the payment code "<code>" for 10.00 CNY
    Then the SUT sent the switch one purchase carrying exactly that payment code
    And the SUT reports the purchase as declined with the response code the switch gave it

    @rows.valid-payment-codes
    Examples: every well-formed payment code of the vectors (none was issued, so its issuer or the switch declines it)
      | tcId | comment | code |

    @rows.invalid-payment-codes
    Examples: every payment code of the vectors whose length does not fit its prefix (routing it is the switch's decision)
      | tcId | comment | code |

  @tc.VEC-NOTPAY-<tcId> @req.R-MSG-01 @role.acquirer
  Scenario Outline: The SUT's terminal does not send vector <tcId> (<comment>) to the switch as a payment code
    When the SUT's terminal scans the payment code "<code>" for 10.00 CNY
    Then the SUT's terminal refuses the code
    And the SUT sent no message to the switch

    @rows.unsendable-payment-codes
    Examples: every input of the vectors that no purchase message can carry
      | tcId | comment | code |
